// Rendering of views for the terminal and for --json.
#include "output.hpp"

#include <ctime>
#include <iomanip>

#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"
#include "kim/shared/time_format.hpp"

namespace kim::cli {

using nlohmann::json;

json to_json(const client::HeadValue& h) {
    json j = {{"change", h.change}, {"hlc", h.hlc}};
    if (h.readable) {
        j["value"] = h.value;
    } else {
        j["value"] = nullptr;
        j["unreadable"] = h.unreadable_reason;
    }
    return j;
}

json to_json(const client::RecordView& r) {
    json fields = json::object();
    json conflicts = json::object();
    for (const auto& f : r.fields) {
        fields[f.name] = f.shown.readable ? json(f.shown.value) : json(nullptr);
        if (!f.conflicting.empty()) {
            json heads = json::array({to_json(f.shown)});
            for (const auto& h : f.conflicting) heads.push_back(to_json(h));
            conflicts[f.name] = heads;
        }
    }
    json j = {{"id", r.id}, {"kind", r.kind}, {"erased", r.erased}, {"fields", fields}, {"conflicts", conflicts}};
    if (!r.case_id.empty()) j["case"] = r.case_id;
    return j;
}

json to_json(const client::Conflict& c) {
    json heads = json::array();
    for (const auto& h : c.heads) heads.push_back(to_json(h));
    json j = {{"record", c.record}, {"kind", c.kind}, {"field", c.field}, {"heads", heads}};
    if (!c.case_id.empty()) j["case"] = c.case_id;
    return j;
}

json to_json(const client::ImportReport& r) {
    return {{"received", r.received}, {"applied", r.applied}, {"duplicates", r.duplicates},
            {"waiting", r.waiting},   {"introduced", r.introduced}, {"notes", r.notes}};
}

json to_json(const client::ReplicaStatus& s) {
    return {{"site", s.site},
            {"replica", s.replica},
            {"public_key", s.public_key},
            {"own_changes", s.own_changes},
            {"all_changes", s.all_changes},
            {"waiting_changes", s.waiting_changes},
            {"cases", s.cases},
            {"open_cases", s.open_cases},
            {"conflicts", s.conflicts},
            {"known_replicas", s.peers},
            {"retention_years", s.retention_years}};
}

std::string short_id(const std::string& id) { return id.substr(0, 8); }

std::string printable(const std::string& text, const std::string& continuation) {
    // Values come from other replicas too: control characters (terminal
    // escape sequences) are shown as \xNN instead of being sent to the terminal.
    std::string out;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\n') {
            out += "\n" + continuation;
        } else if (c < 0x20 || c == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        } else {
            out.push_back(ch);
        }
    }
    return out;
}

std::string format_hlc(std::uint64_t hlc) { return local_minutes(static_cast<std::int64_t>(hlc_millis(hlc) / 1000)); }

namespace {

std::string label_of(const std::string& kind, const std::string& field) {
    const FieldSpec* spec = Catalogue::builtin().field(kind, field);
    return spec ? spec->label : field;
}

std::string shown_text(const client::HeadValue& h, const std::string& continuation = "") {
    return h.readable ? printable(h.value, continuation) : "(" + h.unreadable_reason + ")";
}

}  // namespace

void print_record(std::ostream& out, const client::RecordView& r, const std::string& indent) {
    const KindSpec* kind = Catalogue::builtin().kind(r.kind);
    out << indent << (kind ? kind->label : r.kind) << " " << r.id;
    if (r.erased) {
        out << "  (erased)\n";
        return;
    }
    out << "\n";
    std::size_t width = 0;
    for (const auto& f : r.fields) width = std::max(width, f.name.size());
    for (const auto& f : r.fields) {
        const std::string continuation = indent + std::string(width + 4, ' ');
        out << indent << "  " << std::left << std::setw(static_cast<int>(width)) << f.name << "  "
            << shown_text(f.shown, continuation);
        if (!f.conflicting.empty()) {
            out << "   [CONFLICT, also:";
            for (const auto& h : f.conflicting) {
                out << " \"" << shown_text(h, continuation) << "\" (" << h.change << ", " << format_hlc(h.hlc) << ")";
            }
            out << "]";
        }
        out << "\n";
    }
}

void print_conflict(std::ostream& out, const client::Conflict& c) {
    out << c.kind << " " << c.record;
    if (!c.case_id.empty()) out << " (of case " << c.case_id << ")";
    out << "  field " << c.field << " (" << label_of(c.kind, c.field) << ")\n";
    for (std::size_t i = 0; i < c.heads.size(); ++i) {
        out << "  " << (i == 0 ? "shown " : "other ") << "\"" << shown_text(c.heads[i], "         ") << "\"  written "
            << format_hlc(c.heads[i].hlc) << " by " << c.heads[i].change << "\n";
    }
}

std::vector<std::pair<std::string, std::string>> parse_assignments(const std::vector<std::string>& args) {
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        const auto eq = a.find('=');
        if (eq == std::string::npos || eq == 0) {
            // The argument is not repeated: it may be a name typed without its field.
            throw InputError("argument " + std::to_string(i + 1) +
                             " after the command is not of the form field=value (e.g. phase=planning or \"name=Amira Haddad\")");
        }
        out.emplace_back(a.substr(0, eq), a.substr(eq + 1));
    }
    return out;
}

}  // namespace kim::cli
