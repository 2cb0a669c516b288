// kim conflicts, kim resolve (kim erase: privacy_commands.cpp).
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
}

}  // namespace kim::cli
