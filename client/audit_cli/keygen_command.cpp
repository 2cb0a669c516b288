// kim-audit keygen --out FILE [--name NAME]
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "kim/audit/key_file.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"

namespace kim::audit_cli {

void add_keygen_command(CLI::App& app) {
    struct Args {
        std::string out;
        std::string name{audit::default_auditor_name};
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("keygen", "Create the auditor's key file (mode 0600) and print its enrolment");
    // Checked in the callback rather than with ->required(): CLI11 checks
    // requirements before unknown options, and `keygen --bogus` should name --bogus.
    cmd->add_option("--out", args->out, "The key file to create (never overwritten); required");
    cmd->add_option("--name", args->name, "The auditor's name on the server (default: auditor)");
    cmd->callback([args] {
        if (args->out.empty()) throw InputError("`kim-audit keygen` needs the file to create: --out FILE");
        const audit::AuditorKey key = audit::generate_auditor_key(args->name);
        audit::write_key_file(args->out, key);
        std::cout << "Wrote the key of auditor '" << key.name << "' to " << args->out
                  << " (keep it private: whoever holds it can read the whole log, though never a case).\n"
                  << "public key: " << base64_encode(key.public_key) << "\n"
                  << "An administrator enrols it on the server with:\n"
                  << "  " << audit::enrol_command(key) << "\n";
    });
}

}  // namespace kim::audit_cli
