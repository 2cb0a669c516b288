// kim case new|set|show|list (and import, case_import_command.cpp), kim add, kim record set|show.
#include <algorithm>
#include <iomanip>
#include <iostream>

#include "../output.hpp"
#include "commands.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"

namespace kim::cli {

namespace {

struct Args {
    std::string id;
    std::string kind;
    std::string case_id;
    std::string phase;
    std::string need;
    std::vector<std::string> fields;
};

void show_with_records(client::Replica& replica, const std::string& id, bool json) {
    const auto view = replica.read(id);
    std::vector<client::RecordView> children;
    if (view.kind == "case" && !view.erased) {
        for (const auto& child : replica.records_of_case(id)) children.push_back(replica.read(child));
        // Grouped by kind in catalogue order (consents, goals, referrals, contacts).
        const auto& kinds = Catalogue::builtin().kinds();
        auto rank = [&](const std::string& k) {
            for (std::size_t i = 0; i < kinds.size(); ++i) {
                if (kinds[i].name == k) return i;
            }
            return kinds.size();
        };
        std::stable_sort(children.begin(), children.end(),
                         [&](const auto& a, const auto& b) { return rank(a.kind) < rank(b.kind); });
    }
    if (json) {
        nlohmann::json j = to_json(view);
        if (view.kind == "case") {
            j["records"] = nlohmann::json::array();
            for (const auto& c : children) j["records"].push_back(to_json(c));
        }
        std::cout << j.dump(2) << "\n";
        return;
    }
    print_record(std::cout, view);
    for (const auto& c : children) print_record(std::cout, c, "  ");
}

std::string need_field(std::string need) {
    if (!need.starts_with("need.")) need = "need." + need;
    if (!Catalogue::builtin().field("case", need)) {
        std::string known;
        for (const auto& f : Catalogue::builtin().writable_fields("case")) {
            if (f.starts_with("need.")) known += " " + f.substr(5);
        }
        throw InputError("unknown need '" + need + "'; the needs are:" + known);
    }
    return need;
}

}  // namespace

void add_record_commands(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<Args>();
    auto* cases = app.add_subcommand("case", "Create, change, show and list cases");
    cases->require_subcommand(1);

    auto* create = cases->add_subcommand("new", "Open a new case; prints its id");
    create->add_option("fields", a->fields, "field=value ... (e.g. name=\"Ayşe Yılmaz\" need.wohnen=2); `kim fields case` lists them");
    create->callback([&ctx, a] {
        auto replica = ctx.open_replica();
        std::cout << replica.create_case(parse_assignments(a->fields)) << "\n";
    });

    add_case_import_command(*cases, ctx);

    auto* set = cases->add_subcommand("set", "Change fields of a case");
    set->add_option("id", a->id, "Case id (or a unique prefix)")->required();
    set->add_option("fields", a->fields, "field=value ...")->required();
    set->callback([&ctx, a] {
        auto replica = ctx.open_replica();
        const std::string id = replica.resolve_id(a->id);
        if (replica.kind_of(id) != "case") throw InputError(id + " is not a case; use `kim record set`");
        replica.set_fields(id, parse_assignments(a->fields));
        std::cout << "Updated case " << id << "\n";
    });

    auto* show = cases->add_subcommand("show", "Show a case with its consents, goals, referrals and contacts");
    show->add_option("id", a->id, "Case id (or a unique prefix)")->required();
    show->add_flag("--json", ctx.json, "Print JSON");
    show->callback([&ctx, a] {
        auto replica = ctx.open_replica();
        show_with_records(replica, replica.resolve_id(a->id), ctx.json);
    });

    auto* list = cases->add_subcommand("list", "List the cases of this site, oldest first (erased ones are gone)");
    list->add_option("--phase", a->phase, "Only cases in this phase (intake, assessment, planning, ...)");
    list->add_option("--need", a->need, "Only cases with this need (level 1 or more), e.g. wohnen");
    list->add_flag("--json", ctx.json, "Print JSON");
    list->callback([&ctx, a] {
        if (!a->phase.empty()) Catalogue::builtin().check_statistical_value("case", *Catalogue::builtin().field("case", "phase"), a->phase);
        const std::string need = a->need.empty() ? "" : need_field(a->need);
        auto replica = ctx.open_replica();
        nlohmann::json out = nlohmann::json::array();
        std::size_t shown = 0;
        for (const auto& c : replica.list("case")) {
            const auto* phase = c.field("phase");
            if (!a->phase.empty() && (!phase || phase->shown.value != a->phase)) continue;
            if (!need.empty()) {
                const auto* level = c.field(need);
                if (!level || level->shown.value == "0") continue;
            }
            ++shown;
            if (ctx.json) {
                out.push_back(to_json(c));
                continue;
            }
            const auto* name = c.field("name");
            const auto* opened = c.field("opened_quarter");
            std::string needs;
            for (const auto& f : c.fields) {
                if (f.name.starts_with("need.") && f.shown.value != "0") needs += (needs.empty() ? "" : " ") + f.name.substr(5) + "=" + f.shown.value;
            }
            bool conflict = false;
            for (const auto& f : c.fields) conflict |= !f.conflicting.empty();
            if (shown == 1) {
                std::cout << std::left << std::setw(10) << "ID" << std::setw(12) << "PHASE" << std::setw(9) << "OPENED"
                          << "NAME / NEEDS\n";
            }
            std::cout << std::left << std::setw(10) << short_id(c.id) << std::setw(12) << (phase ? phase->shown.value : "-")
                      << std::setw(9) << (opened ? opened->shown.value : "-")
                      << (name && name->shown.readable && !name->shown.value.empty() ? printable(name->shown.value) : "-")
                      << (needs.empty() ? "" : "  [" + needs + "]") << (conflict ? "  CONFLICT" : "") << "\n";
        }
        if (ctx.json) {
            std::cout << out.dump(2) << "\n";
        } else if (shown == 0) {
            std::cout << "No matching cases.\n";
        }
    });

    auto* add = app.add_subcommand("add", "Add a consent, goal, referral or contact to a case; prints its id");
    add->add_option("kind", a->kind, "consent | goal | referral | contact")->required();
    add->add_option("--case", a->case_id, "The case (id or unique prefix)")->required();
    add->add_option("fields", a->fields, "field=value ...; `kim fields KIND` lists them");
    add->callback([&ctx, a] {
        auto replica = ctx.open_replica();
        std::cout << replica.add_record(a->kind, replica.resolve_id(a->case_id), parse_assignments(a->fields)) << "\n";
    });

    auto* record = app.add_subcommand("record", "Change or show a consent, goal or referral");
    record->require_subcommand(1);
    auto* record_set = record->add_subcommand("set", "Change fields of a consent, goal or referral");
    record_set->add_option("id", a->id, "Record id (or a unique prefix)")->required();
    record_set->add_option("fields", a->fields, "field=value ...")->required();
    record_set->callback([&ctx, a] {
        auto replica = ctx.open_replica();
        const std::string id = replica.resolve_id(a->id);
        replica.set_fields(id, parse_assignments(a->fields));
        std::cout << "Updated " << replica.kind_of(id) << " " << id << "\n";
    });
    auto* record_show = record->add_subcommand("show", "Show one record");
    record_show->add_option("id", a->id, "Record id (or a unique prefix)")->required();
    record_show->add_flag("--json", ctx.json, "Print JSON");
    record_show->callback([&ctx, a] {
        auto replica = ctx.open_replica();
        show_with_records(replica, replica.resolve_id(a->id), ctx.json);
    });
}

}  // namespace kim::cli
