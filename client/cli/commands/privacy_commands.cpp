// kim erase, kim retention run, kim export: the data subject's rights
// (GDPR Art. 15 and 17) and the site's retention period (docs/privacy.md).
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <iostream>

#include "../output.hpp"
#include "commands.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/hlc.hpp"
#include "kim/shared/time_format.hpp"

namespace kim::cli {

using nlohmann::json;

namespace {

constexpr std::uint64_t millis_per_day = 86'400'000;

// "4 years 12 days" from a number of days (years of 365 days: only shown to people).
std::string age_text(std::uint64_t days) {
    const std::uint64_t years = days / 365, rest = days % 365;
    std::string out;
    if (years) out = std::to_string(years) + (years == 1 ? " year " : " years ");
    return out + std::to_string(rest) + (rest == 1 ? " day" : " days");
}

std::string cases_text(std::size_t n) { return std::to_string(n) + (n == 1 ? " case" : " cases"); }

void add_erase(CLI::App& app, Context& ctx) {
    struct EraseArgs {
        std::string id;
        bool yes = false;
    };
    auto a = std::make_shared<EraseArgs>();
    auto* erase = app.add_subcommand(
        "erase", "Erase a case (with all its records) or one record for good (GDPR Art. 17): ciphertexts and case key are destroyed");
    erase->add_option("id", a->id, "Record id (or a unique prefix)")->required();
    erase->add_flag("--yes", a->yes, "Do not ask for confirmation");
    erase->callback([&ctx, a] {
        auto replica = ctx.open_replica();
        const std::string id = replica.resolve_id(a->id);
        if (!a->yes) {
            if (!isatty(STDIN_FILENO)) throw InputError("erasure cannot be undone; add --yes to confirm it");
            const auto view = replica.read(id);
            const auto* name = view.field("name");
            std::cout << "Erase " << view.kind << " " << id
                      << (name && name->shown.readable ? " (" + printable(name->shown.value) + ")" : "")
                      << " and everything recorded about it? This cannot be undone. Type 'erase': " << std::flush;
            std::string answer;
            std::getline(std::cin, answer);
            if (answer != "erase") throw InputError("not confirmed; nothing was erased");
        }
        replica.erase(id);
        std::cout << "Erased " << id << ". Other replicas erase it when they receive this change.\n";
    });
}

void add_retention(CLI::App& app, Context& ctx) {
    struct RetentionArgs {
        bool dry_run = false;
    };
    auto a = std::make_shared<RetentionArgs>();
    auto* retention = app.add_subcommand("retention", "Erase closed cases whose retention period is over");
    retention->require_subcommand(1);
    auto* run = retention->add_subcommand(
        "run",
        "Erase every closed case closed longer ago than the retention period (`kim config retention`, default 3 years), "
        "with all its records, and list them. No confirmation is asked (meant for cron); try --dry-run first");
    run->add_flag("--dry-run", a->dry_run, "Only list the cases that would be erased; change nothing");
    run->add_flag("--json", ctx.json, "Print JSON");
    run->callback([&ctx, a] {
        auto replica = ctx.open_replica();
        const int years = replica.retention_years();
        const std::uint64_t now = system_millis();
        const auto due = replica.retention_due(now);
        json listed = json::array();
        std::size_t erased = 0;
        std::vector<std::string> failures;
        for (const auto& d : due) {
            const std::uint64_t days = now > d.closed_millis ? (now - d.closed_millis) / millis_per_day : 0;
            json item = {{"case", d.case_id},
                         {"closed", utc_date(static_cast<std::int64_t>(d.closed_millis / 1000))},
                         {"closed_by", d.closed_by},
                         {"age_days", days},
                         {"phase_in_conflict", d.phase_in_conflict}};
            if (!a->dry_run) {
                try {
                    replica.erase(d.case_id);
                    ++erased;
                    item["erased"] = true;
                } catch (const Error& e) {
                    // One case that cannot be erased (another kim erased it a
                    // moment ago) does not keep the others.
                    item["erased"] = false;
                    item["error"] = printable(e.what());
                    failures.push_back(d.case_id + ": " + printable(e.what()));
                }
            }
            listed.push_back(std::move(item));
        }
        if (ctx.json) {
            std::cout << json{{"retention_years", years}, {"dry_run", a->dry_run}, {"cases", listed}, {"erased", erased}}.dump(2)
                      << "\n";
        } else {
            std::cout << "Retention period: " << years << (years == 1 ? " year" : " years")
                      << " after closure (`kim config retention`).\n";
            if (due.empty()) {
                std::cout << "No closed case is past it; nothing " << (a->dry_run ? "would be " : "") << "erased.\n";
            } else {
                std::cout << (a->dry_run ? "Would erase " + cases_text(due.size()) + " (dry run: nothing was changed):\n"
                                         : "Erased " + cases_text(erased) + (erased == 1 ? " with all its records:\n" : " with all their records:\n"));
                for (const auto& item : listed) {
                    if (!a->dry_run && !item["erased"].get<bool>()) continue;
                    std::cout << "  " << item["case"].get<std::string>() << "  closed " << item["closed"].get<std::string>()
                              << ", " << age_text(item["age_days"].get<std::uint64_t>()) << " ago"
                              << (item["phase_in_conflict"].get<bool>() ? "  (phase was in conflict; closed was shown)" : "")
                              << "\n";
                }
                if (!a->dry_run && erased) std::cout << "Other replicas erase them when they receive these changes (`kim sync`).\n";
            }
        }
        for (const auto& f : failures) std::cerr << "kim: could not erase case " << f << "\n";
        if (!failures.empty()) throw StateError(std::to_string(failures.size()) + " of " + cases_text(due.size()) +
                                                " could not be erased (listed above); run `kim retention run` again");
    });
}

void add_export(CLI::App& app, Context& ctx) {
    struct ExportArgs {
        std::string id, out;
        bool force = false;
    };
    auto a = std::make_shared<ExportArgs>();
    auto* exp = app.add_subcommand(
        "export",
        "Write everything held about one case, decrypted, to a JSON file (a data subject's access request, GDPR Art. 15)");
    exp->add_option("id", a->id, "Case id (or a unique prefix)")->required();
    exp->add_option("--out", a->out, "File to write (owner-only permissions)")->required()->type_name("FILE");
    exp->add_flag("--force", a->force, "Replace FILE if it exists");
    exp->callback([&ctx, a] {
        // Refused before the passphrase is asked for.
        if (std::filesystem::is_directory(a->out)) throw InputError(a->out + " is a folder; give a file name inside it");
        if (!a->force && std::filesystem::exists(a->out)) {
            throw StateError(a->out + " exists already; add --force to replace it, or choose another file name");
        }
        auto replica = ctx.open_replica();
        const std::string id = replica.resolve_id(a->id);
        const json doc = replica.export_case(id);
        // A value written elsewhere may hold invalid UTF-8: replaced, not fatal.
        write_private_file(a->out, doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
        if (doc.at("erased").get<bool>()) {
            std::cout << "Case " << id << " was erased; " << a->out << " holds only its ids and the erasure.\n";
            return;
        }
        std::cout << "Wrote case " << id << " with " << doc.at("records").size() << " record(s) and "
                  << doc.at("history").size() << " change(s) to " << a->out
                  << ". It holds the person's data in plain text: hand it over securely and delete it afterwards.\n";
    });
}

}  // namespace

void add_privacy_commands(CLI::App& app, Context& ctx) {
    add_erase(app, ctx);
    add_retention(app, ctx);
    add_export(app, ctx);
}

}  // namespace kim::cli
