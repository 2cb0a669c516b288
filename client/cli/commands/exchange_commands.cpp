// kim export-changes, kim import-changes: moving signed changes by file.
#include <iostream>

#include "../output.hpp"
#include "commands.hpp"
#include "kim/client/limits.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/json_input.hpp"

namespace kim::cli {

void add_exchange_commands(CLI::App& app, Context& ctx) {
    auto out = std::make_shared<std::string>();
    auto* exp = app.add_subcommand("export-changes", "Write every change held here to a file (for another replica of the site)");
    exp->add_option("--out", *out, "File to write")->required();
    exp->callback([&ctx, out] {
        auto replica = ctx.open_replica();
        const auto file = replica.export_changes();
        write_private_file(*out, file.dump() + "\n");
        const auto n = file["changes"].size();
        std::cout << "Wrote " << n << (n == 1 ? " change" : " changes") << " of site " << replica.site() << " to " << *out << "\n";
    });

    auto in = std::make_shared<std::string>();
    auto* imp = app.add_subcommand("import-changes", "Verify and apply the changes in a file from another replica");
    imp->add_option("file", *in, "Change file from `kim export-changes`")->required();
    imp->add_flag("--json", ctx.json, "Print JSON");
    imp->callback([&ctx, in] {
        auto doc = parse_untrusted_json(read_text_file(*in, client::max_change_file_bytes), "the change file " + *in);
        auto replica = ctx.open_replica();
        const auto report = replica.import_changes(doc);
        if (ctx.json) {
            std::cout << to_json(report).dump(2) << "\n";
            return;
        }
        std::cout << "Imported " << *in << ": " << report.applied << " new, " << report.duplicates << " already held, "
                  << report.waiting << " waiting for earlier changes, " << report.introduced << " replica(s) introduced\n";
        for (const auto& n : report.notes) std::cout << "  note: " << n << "\n";
        const auto conflicts = replica.conflicts().size();
        if (conflicts) std::cout << conflicts << " conflict(s) to resolve: see `kim conflicts`\n";
    });
}

}  // namespace kim::cli
