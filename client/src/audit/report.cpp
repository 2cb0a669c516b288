// The report of a verification, as JSON and as text (report.hpp).
#include "kim/audit/report.hpp"

#include <sstream>

namespace kim::audit {

using nlohmann::json;

namespace {

// Messages may carry names taken from the log (an origin, a field): no
// control character of theirs reaches the terminal.
std::string printable(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        const auto u = static_cast<unsigned char>(ch);
        if (u < 0x20 || u == 0x7f) {
            static const char* hex = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        } else {
            out += ch;
        }
    }
    return out;
}

std::string plural(std::uint64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string clip(std::string text, std::size_t max) {
    if (text.size() <= max) return text;
    static constexpr std::string_view ellipsis = "\xe2\x80\xa6";  // …
    std::size_t cut = max > ellipsis.size() ? max - ellipsis.size() : 0;
    // Back to the start of a character: never inside a multi-byte sequence.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
    text.resize(cut);
    if (max >= ellipsis.size()) text += ellipsis;
    return text;
}

json to_json(const Report& r) {
    json findings = json::array();
    for (const auto& f : r.findings) {
        findings.push_back({{"case", f.case_id}, {"change", f.change}, {"server_seq", f.server_seq}, {"message", f.message}});
    }
    json failures = json::array();
    for (const auto& f : r.failures) {
        failures.push_back({{"server_seq", f.server_seq}, {"change", f.change}, {"fault", f.fault}, {"message", f.message}});
    }
    json j = {{"ok", r.ok()},
              {"changes", r.changes},
              {"new_changes", r.new_changes},
              {"origins", r.origins},
              {"checkpoints", r.checkpoints},
              {"incremental", r.incremental},
              {"findings", std::move(findings)},
              {"failures", std::move(failures)},
              {"failure_count", r.failure_count}};
    if (!r.server.empty()) j["server"] = r.server;
    return j;
}

std::string format_report(const Report& r, std::size_t max_listed) {
    std::ostringstream out;
    if (!r.server.empty()) out << "server:      " << r.server << "\n";
    out << "changes:     " << r.changes << " verified";
    if (r.incremental) out << " (" << r.new_changes << " new in this run)";
    out << "\n";
    out << "origins:     " << r.origins << "\n";
    out << "checkpoints: " << r.checkpoints << " verified\n";
    out << "findings:    " << r.findings.size() << "\n";
    for (std::size_t i = 0; i < r.findings.size() && i < max_listed; ++i) {
        const Finding& f = r.findings[i];
        out << "  server seq " << f.server_seq << ": " << printable(f.message) << "\n";
    }
    if (r.findings.size() > max_listed) out << "  … and " << r.findings.size() - max_listed << " more (see --json)\n";
    if (r.ok()) {
        out << "OK: the log is complete and unaltered as far as it was verified\n";
        return out.str();
    }
    out << "failures:    " << r.failure_count << "\n";
    for (std::size_t i = 0; i < r.failures.size() && i < max_listed; ++i) {
        const Failure& f = r.failures[i];
        out << "  server seq " << f.server_seq;
        if (!f.change.empty()) out << ", change " << printable(f.change);
        out << " [" << f.fault << "]: " << printable(f.message) << "\n";
    }
    if (r.failure_count > max_listed) out << "  … and " << r.failure_count - max_listed << " more (see --json)\n";
    out << "FAILED: " << plural(r.failure_count, "integrity failure", "integrity failures")
        << "; the log cannot be trusted as it stands. Keep this report and tell the server's administrator and "
           "the data protection officer\n";
    return out.str();
}

}  // namespace kim::audit
