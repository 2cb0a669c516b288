// kim fields: what can be recorded, read from the built-in catalogue.
#include <iostream>

#include "commands.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"

namespace kim::cli {

namespace {

nlohmann::json field_json(const FieldSpec& f) {
    nlohmann::json j = {{"name", f.name}, {"label", f.label}, {"confidential", f.confidential}};
    switch (f.type) {
    case FieldType::date: j["type"] = "date"; break;
    case FieldType::quarter: j["type"] = "quarter"; break;
    case FieldType::enumeration: j["type"] = "enum"; j["values"] = f.values; break;
    default: j["type"] = "text"; j["max_bytes"] = f.max_bytes; break;
    }
    return j;
}

// Pads to `width` characters (not bytes: the labels are German).
std::string padded(const std::string& s, std::size_t width) {
    std::size_t chars = 0;
    for (const char c : s) chars += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    return s + std::string(chars < width ? width - chars : 1, ' ');
}

std::string describe(const FieldSpec& f) {
    switch (f.type) {
    case FieldType::date: return "date YYYY-MM-DD, encrypted";
    case FieldType::quarter: return "quarter like 2026-Q3, in clear";
    case FieldType::enumeration: {
        std::string out = "one of:";
        for (const auto& v : f.values) out += " " + v;
        return out + " (in clear)";
    }
    default: return "text, encrypted";
    }
}

}  // namespace

void add_catalogue_commands(CLI::App& app, Context& ctx) {
    auto kind = std::make_shared<std::string>();
    auto* fields = app.add_subcommand("fields", "List the record kinds, their fields and the allowed values");
    fields->add_option("kind", *kind, "case | consent | goal | referral | contact (default: all)");
    fields->add_flag("--json", ctx.json, "Print JSON");
    fields->callback([&ctx, kind] {
        const Catalogue& cat = Catalogue::builtin();
        if (!kind->empty() && !cat.kind(*kind)) cat.require_field(*kind, "");  // throws the "unknown kind" error
        nlohmann::json out = nlohmann::json::array();
        for (const auto& k : cat.kinds()) {
            if (!kind->empty() && k.name != *kind) continue;
            if (ctx.json) {
                nlohmann::json fs = nlohmann::json::array();
                for (const auto& f : k.fields) fs.push_back(field_json(f));
                out.push_back({{"kind", k.name}, {"label", k.label}, {"fields", fs}});
                continue;
            }
            std::cout << k.name << " (" << k.label << ")" << (k.append_only ? ", append-only" : "") << "\n";
            for (const auto& f : k.fields) {
                std::cout << "  " << padded(f.name, 22) << padded(f.label, 24) << describe(f) << "\n";
            }
        }
        if (ctx.json) std::cout << out.dump(2) << "\n";
    });
}

}  // namespace kim::cli
