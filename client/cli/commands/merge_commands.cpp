// kim conflicts, kim resolve, kim erase.
#include <unistd.h>

#include <iostream>

#include "../output.hpp"
#include "commands.hpp"
#include "kim/shared/errors.hpp"

namespace kim::cli {

void add_merge_commands(CLI::App& app, Context& ctx) {
    auto* conflicts = app.add_subcommand("conflicts", "List fields with concurrent values that a person must resolve");
    conflicts->add_flag("--json", ctx.json, "Print JSON");
    conflicts->callback([&ctx] {
        auto replica = ctx.open_replica();
        const auto list = replica.conflicts();
        if (ctx.json) {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& c : list) out.push_back(to_json(c));
            std::cout << out.dump(2) << "\n";
            return;
        }
        if (list.empty()) {
            std::cout << "No conflicts.\n";
            return;
        }
        for (const auto& c : list) print_conflict(std::cout, c);
        std::cout << list.size() << " conflict(s). Resolve one with: kim resolve ID FIELD VALUE\n";
    });

    struct ResolveArgs {
        std::string id, field, value;
        bool yes = false;
    };
    auto r = std::make_shared<ResolveArgs>();
    auto* resolve = app.add_subcommand("resolve", "Settle a conflict: write VALUE, superseding every concurrent value");
    resolve->add_option("id", r->id, "Record id (or a unique prefix)")->required();
    resolve->add_option("field", r->field, "Field in conflict")->required();
    resolve->add_option("value", r->value, "The value to keep")->required();
    resolve->callback([&ctx, r] {
        if (r->field.find('=') != std::string::npos) {
            throw InputError("resolve takes the field and the value as two words: kim resolve ID FIELD VALUE (no '=')");
        }
        auto replica = ctx.open_replica();
        const std::string id = replica.resolve_id(r->id);
        replica.resolve(id, r->field, r->value);
        std::cout << "Resolved " << r->field << " of " << id << "\n";
    });

    auto* erase = app.add_subcommand(
        "erase", "Erase a case (with all its records) or one record for good (GDPR Art. 17): ciphertexts and case key are destroyed");
    erase->add_option("id", r->id, "Record id (or a unique prefix)")->required();
    erase->add_flag("--yes", r->yes, "Do not ask for confirmation");
    erase->callback([&ctx, r] {
        auto replica = ctx.open_replica();
        const std::string id = replica.resolve_id(r->id);
        if (!r->yes) {
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

}  // namespace kim::cli
