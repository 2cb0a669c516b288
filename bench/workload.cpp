// The benchmarks' shared workload and measurements (workload.hpp).
#include "workload.hpp"

#include <algorithm>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>

namespace kim::bench {

namespace fs = std::filesystem;
using client::Replica;

// Peak resident memory of a process (VmHWM), in MiB.
double peak_mib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    }
    return 0;
}

double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The fields after the command name, which may hold spaces: utime and stime are the 14th and 15th.
    std::istringstream rest(text.substr(text.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14 || i == 15) ticks += std::stod(field);
    }
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

client::CreateOptions create_options(const fs::path& home, const std::string& replica) {
    client::CreateOptions o;
    o.home = home;
    o.site = "hamborn";
    o.replica = replica;
    o.passphrase = bench_passphrase;
    o.kdf = KdfParams::minimal();  // key derivation is not what is measured
    return o;
}

client::FieldInputs intake_fields(const std::string& name) {
    return {{"name", name},
            {"birth_date", "1987-04-12"},
            {"address", "Weseler Straße 12, 47169 Duisburg"},
            {"phone", "0203 1234567"},
            {"languages", "Arabisch, Deutsch A2"},
            {"nationality", "syrisch"},
            {"sex", "female"},
            {"origin_region", "middle_east_north_africa"},
            {"residence_category", "residence_permit"},
            {"household_band", "3_4"},
            {"need.wohnen", "2"},
            {"need.deutsch", "1"}};
}

void write_edits(Replica& r, int changes) {
    std::vector<std::string> cases;
    for (int i = 0; i < changes; ++i) {
        if (i % 10 == 0) {
            cases.push_back(r.create_case(intake_fields("Synthetische Person " + std::to_string(i))));
        } else if (i % 10 == 1) {
            // Consent to processing right after the intake, as the audit expects.
            r.add_record("consent", cases.back(), {{"scope", "processing"}, {"form_version", "KIM-E 2026/1"}});
        } else if (i % 3 == 0) {
            r.set_fields(cases.back(), {{"assessment", "Gespräch " + std::to_string(i) + ": Unterlagen für das Jobcenter "
                                                      "besprochen, Termin bei der Wohnungsgesellschaft vereinbart."}});
        } else {
            r.set_fields(cases[static_cast<std::size_t>(i) % cases.size()],
                         {{"need.arbeit", std::to_string(i % 4)}, {"phase", i % 2 ? "planning" : "linking"}});
        }
    }
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

RunOptions parse_run_options(int argc, char** argv, RunOptions o, const std::string& source) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--changes") o.changes = std::stoi(value());
        else if (a == "--runs") o.runs = std::stoi(value());
        else if (a == "--dir") o.dir = value();
        else if (a == "--server") o.server = value();
        else throw std::invalid_argument("unknown option " + a + " (see the comment at the top of " + source + ")");
    }
    if (o.changes < 10 || o.runs < 1) throw std::invalid_argument("--changes must be at least 10 and --runs at least 1");
    return o;
}

}  // namespace kim::bench
