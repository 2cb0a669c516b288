// Reading and writing the outer structure of change files.
#include "change_file.hpp"

#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace kim::client {

using nlohmann::json;

json change_file_to_json(ChangeFile&& file) {
    json intros = json::array();
    for (const auto& p : file.introductions) {
        intros.push_back({{"replica", p.replica}, {"public_key", base64_encode(p.public_key)}, {"mac", base64_encode(p.intro_mac)}});
    }
    return {{"format", change_file_format}, {"version", change_file_version}, {"site", file.site},
            {"exported_by", file.exported_by}, {"introductions", std::move(intros)}, {"changes", std::move(file.changes)}};
}

ChangeFile change_file_from_json(const json& j) {
    auto bad = [](const std::string& what) -> InputError {
        return InputError("not a valid kimsync change file: " + what + " (make one with `kim export-changes`)");
    };
    if (!j.is_object() || j.value("format", json()) != change_file_format) throw bad("the 'format' is missing or wrong");
    for (const auto& [key, _] : j.items()) {
        if (key != "format" && key != "version" && key != "site" && key != "exported_by" && key != "introductions" &&
            key != "changes") {
            throw bad("unknown key '" + key + "'");
        }
    }
    if (j.value("version", json()) != change_file_version) {
        throw InputError("this change file has another format version than the one this kim reads (1); "
                         "update kim on this machine");
    }
    ChangeFile file;
    if (!j.contains("site") || !j["site"].is_string() || !is_valid_name(j["site"].get<std::string>())) throw bad("'site' is missing");
    file.site = j["site"].get<std::string>();
    if (j.contains("exported_by") && j["exported_by"].is_string()) file.exported_by = j["exported_by"].get<std::string>();
    if (!j.contains("introductions") || !j["introductions"].is_array()) throw bad("'introductions' must be a list");
    for (const auto& intro : j["introductions"]) {
        if (!intro.is_object() || !intro.contains("replica") || !intro["replica"].is_string() ||
            !intro.contains("public_key") || !intro["public_key"].is_string() || !intro.contains("mac") || !intro["mac"].is_string()) {
            throw bad("an introduction needs 'replica', 'public_key' and 'mac'");
        }
        Peer p;
        p.replica = intro["replica"].get<std::string>();
        auto pk = base64_decode_fixed<32>(intro["public_key"].get<std::string>());
        auto mac = base64_decode_fixed<32>(intro["mac"].get<std::string>());
        if (!is_valid_name(p.replica) || !pk || !mac) throw bad("introduction of '" + p.replica + "' is malformed");
        p.public_key = *pk;
        p.intro_mac = *mac;
        file.introductions.push_back(p);
    }
    if (!j.contains("changes") || !j["changes"].is_array()) throw bad("'changes' must be a list");
    file.changes_in_document = &j["changes"];
    return file;
}

}  // namespace kim::client
