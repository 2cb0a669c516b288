// kim case import: many cases with their records from a JSON Lines file, in
// one transaction and with one passphrase prompt (Replica::create_cases).
#include <array>
#include <iostream>
#include <optional>
#include <set>
#include <string_view>

#include "commands.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/json_input.hpp"

namespace kim::cli {

namespace {

// Far above any real case (a text field holds at most a few KiB), low enough
// that a wrong file (a database dump, a video) is refused before it is parsed.
constexpr std::size_t max_line_bytes = std::size_t{1} << 20;
constexpr std::size_t max_file_bytes = std::size_t{64} << 20;

// The arrays of a line and the kind of record each one holds, in the order they are written.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> record_arrays{{
    {"consents", "consent"}, {"goals", "goal"}, {"referrals", "referral"}, {"contacts", "contact"}}};

const char* const format_help =
    "FILE is JSON Lines (UTF-8), one case per line; empty lines and lines starting with # are skipped:\n"
    "  {\"fields\": {\"name\": \"Amira Haddad\", \"phase\": \"planning\", \"need.wohnen\": \"2\"},\n"
    "   \"consents\": [{\"scope\": \"processing\"}], \"goals\": [{\"field\": \"wohnen\", \"text\": \"...\"}],\n"
    "   \"referrals\": [{\"target_type\": \"housing\", \"agency\": \"...\"}], \"contacts\": [{\"text\": \"...\"}]}\n"
    "Fields and values as `kim case new` and `kim add KIND` take them (`kim fields KIND` lists them);\n"
    "every value a string (whole numbers are taken too). Every line is checked before anything is\n"
    "written, and then all cases are written in one transaction: an error names its line and nothing\n"
    "is imported. Prints the new case ids in file order. At most 1 MiB a line and 64 MiB a file.\n";

// Field names are repeated in errors only when they look like catalogue
// names: a malformed file may carry a person's name where a key should be.
std::string quoted_name(const std::string& name) {
    const bool plain = !name.empty() && name.size() <= 64 && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.") == std::string::npos;
    return plain ? "'" + name + "'" : "(a name that is not a field name; not repeated here)";
}

std::string counted(std::size_t n, const std::string& noun) { return std::to_string(n) + " " + noun + (n == 1 ? "" : "s"); }

std::string read_input(const std::string& file) {
    if (file != "-") return read_text_file(file, max_file_bytes);
    std::string text;
    std::array<char, 65536> chunk{};
    while (std::cin.read(chunk.data(), chunk.size()) || std::cin.gcount() > 0) {
        text.append(chunk.data(), static_cast<std::size_t>(std::cin.gcount()));
        if (text.size() > max_file_bytes) throw InputError("standard input holds more than 64 MiB; split the file");
    }
    if (text.empty()) throw InputError("standard input is empty");
    return text;
}

// Parses one line, refusing an object that names a key twice (JSON would
// silently keep the last value and lose the first).
nlohmann::json parse_line(std::string_view text, const std::string& where) {
    std::vector<std::set<std::string>> open_objects;
    std::optional<std::string> duplicate;
    bool too_deep = false;
    auto watch = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using Event = nlohmann::json::parse_event_t;
        // Bounded nesting, as parse_untrusted_json: copying a deep value could exhaust the stack.
        if (depth > max_json_depth) {
            too_deep = true;
            return false;
        }
        if (event == Event::object_start) {
            open_objects.emplace_back();
        } else if (event == Event::object_end && !open_objects.empty()) {
            open_objects.pop_back();
        } else if (event == Event::key && !open_objects.empty() && !duplicate) {
            if (!open_objects.back().insert(parsed.get<std::string>()).second) duplicate = parsed.get<std::string>();
        }
        return true;
    };
    nlohmann::json line;
    try {
        line = nlohmann::json::parse(text.begin(), text.end(), watch);
    } catch (const nlohmann::json::parse_error& e) {
        // The parser's own message quotes the text around the error, which may be a person's name.
        throw InputError(where + ": not valid JSON or not UTF-8 (at character " + std::to_string(e.byte) +
                         "); each line is one object like {\"fields\": {...}}");
    }
    if (too_deep) throw InputError(where + ": nests deeper than " + std::to_string(max_json_depth) + " levels; a case line nests 3");
    if (duplicate) throw InputError(where + ": the key " + quoted_name(*duplicate) + " appears twice in one object");
    return line;
}

client::FieldInputs field_inputs(const nlohmann::json& object, const std::string& where) {
    if (!object.is_object()) throw InputError(where + " must be an object of field names and values");
    client::FieldInputs out;
    for (const auto& [name, value] : object.items()) {
        if (quoted_name(name).front() != '\'') throw InputError(where + ": unknown field " + quoted_name(name));
        if (value.is_string()) {
            out.emplace_back(name, value.get<std::string>());
        } else if (value.is_number_integer()) {
            out.emplace_back(name, value.dump());  // a spreadsheet's need level 2 for "2"
        } else {
            throw InputError(where + ": field '" + name + "' must be a string, e.g. \"2\" or \"intake\"");
        }
    }
    return out;
}

client::NewCase case_of_line(const nlohmann::json& line, const std::string& where) {
    if (!line.is_object()) throw InputError(where + ": each line is one object like {\"fields\": {...}}");
    for (const auto& [key, _] : line.items()) {
        bool known = key == "fields";
        for (const auto& [array, kind] : record_arrays) known |= key == array;
        if (!known) {
            throw InputError(where + ": unknown key " + quoted_name(key) +
                             "; a line holds \"fields\" and may hold \"consents\", \"goals\", \"referrals\", \"contacts\"");
        }
    }
    if (!line.contains("fields")) throw InputError(where + ": no \"fields\"; each line is one object like {\"fields\": {...}}");
    client::NewCase c;
    c.origin = where;
    c.fields = field_inputs(line["fields"], where + ": \"fields\"");
    for (const auto& [array, kind] : record_arrays) {
        const auto it = line.find(std::string(array));
        if (it == line.end()) continue;
        const std::string name(array);
        if (!it->is_array()) throw InputError(where + ": \"" + name + "\" must be a list of objects, [{...}, ...]");
        for (std::size_t i = 0; i < it->size(); ++i) {
            // "referral 1", counted from 1, as Replica::create_cases names them.
            c.records.emplace_back(kind, field_inputs((*it)[i], where + ": " + std::string(kind) + " " + std::to_string(i + 1)));
        }
    }
    return c;
}

// Every case line of the input, checked for form; the catalogue checks follow in Replica::create_cases.
std::vector<client::NewCase> parse_cases(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // the byte order mark of spreadsheet exports
    std::vector<client::NewCase> cases;
    std::size_t number = 0;
    while (!text.empty()) {
        ++number;
        const std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        const std::string where = "line " + std::to_string(number);
        if (line.size() > max_line_bytes) throw InputError(where + ": longer than 1 MiB; one case per line");
        if (line.ends_with('\r')) line.remove_suffix(1);
        const std::size_t first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos || line[first] == '#') continue;
        cases.push_back(case_of_line(parse_line(line, where), where));
    }
    return cases;
}

}  // namespace

void add_case_import_command(CLI::App& cases, Context& ctx) {
    auto file = std::make_shared<std::string>();
    auto* cmd = cases.add_subcommand("import", "Open many cases with their records from a JSON Lines file, all or nothing");
    cmd->add_option("file", *file, "JSON Lines file, or - for standard input")->required();
    cmd->add_flag("--json", ctx.json, "Print the new case ids as a JSON array");
    cmd->footer(format_help);
    cmd->callback([&ctx, file] {
        std::vector<client::NewCase> batch;
        try {
            batch = parse_cases(read_input(*file));
            if (batch.empty()) throw InputError("no case lines (only empty lines and comments)");
        } catch (const InputError& e) {
            throw InputError(std::string(e.what()) + "; nothing was imported");
        }
        std::size_t records = 0;
        for (const auto& c : batch) records += c.records.size();

        auto replica = ctx.open_replica();
        std::vector<std::string> ids;
        try {
            ids = replica.create_cases(batch);
        } catch (const InputError& e) {
            throw InputError(std::string(e.what()) + "; nothing was imported");
        }
        if (ctx.json) {
            std::cout << nlohmann::json(ids).dump(2) << "\n";
        } else {
            for (const auto& id : ids) std::cout << id << "\n";
        }
        std::cerr << "imported " << counted(ids.size(), "case") << " with " << counted(records, "record") << "\n";
    });
}

}  // namespace kim::cli
