// The convergence property (DESIGN.md "Merge: convergent, and nothing is lost"),
// checked on random workloads: three replicas of one site write concurrently
// and exchange random subsets of their changes in random orders, with
// duplicates; after a final full exchange they must show the same state, and
// that state must be exactly what the merge rule makes of everything written.
//
// Every seed starts from copies of one site set up at the start of the run
// (one replica created, two joined with its key bundle, introductions
// exchanged by change files), so that a seed costs tens of milliseconds.
//
// Seeds: KIM_CONVERGENCE_SEEDS=N runs seeds 1..N (default 500);
// KIM_CONVERGENCE_SEED=S runs seed S alone (to replay a failure).
#include "kim/client/replica.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "replica_fixture.hpp"
#include "temp_dir.hpp"
#include "kim/shared/catalogue.hpp"
#include "kim/shared/errors.hpp"

namespace {

using kim::client::FieldInputs;
using kim::client::RecordView;
using kim::client::Replica;
using nlohmann::json;

constexpr int replica_count = 3;
constexpr int operations_per_seed = 32;

// One field written by one change, as the model of the test knows it.
//
// The model and the check ("nothing is lost"): every field value a write
// puts down is recorded with the change id that wrote it and the set of
// heads the writer saw and deliberately superseded. The test computes that
// set itself from what the writing replica showed just before the write,
// following DESIGN.md: an ordinary edit supersedes only the displayed head
// of the field; a resolve supersedes every head; a new record supersedes
// nothing. A write is *superseded* iff some write on the same
// (record, field) names it as a parent. After the final exchange, for every
// record that is not erased (by itself or through its case), the heads each
// replica shows for a field must be exactly the writes on that field that
// no write superseded, each with the value written: so a value that is
// neither current nor kept as a conflict loser fails the test unless a
// write deliberately superseded it, and a head that should have gone fails
// it too. Erased records must show as erased and hold no ciphertext.
struct Write {
    std::string record;
    std::string field;
    std::string value;
    std::string change;
    std::set<std::string> parents;
};

struct RecordInfo {
    std::string kind;
    std::string case_id;  // for records of a case
};

class Rng {
public:
    explicit Rng(std::uint64_t seed) : engine_(seed) {}
    // mt19937_64 is fully specified by the standard, so a seed replays
    // identically everywhere (unlike the standard distributions).
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(engine_() % n); }
    bool chance(unsigned percent) { return below(100) < percent; }
    template <typename T>
    const T& pick(const std::vector<T>& v) {
        return v[below(v.size())];
    }
    template <typename T>
    void shuffle(std::vector<T>& v) {
        for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
    }

private:
    std::mt19937_64 engine_;
};

using kim::test::origin_of;

const std::vector<std::string>& editable_fields(const std::string& kind) {
    static const std::map<std::string, std::vector<std::string>> fields{
        {"case",
         {"name", "address", "phone", "assessment", "phase", "sex", "household_band", "residence_category", "closure_reason",
          "need.wohnen", "need.arbeit", "need.kita", "need.deutsch"}},
        {"goal", {"text", "due_date", "field", "status"}},
        {"consent", {"recipients", "purposes", "scope", "withdrawn"}},
        {"referral", {"agency", "details", "target_type", "outcome", "barrier"}},
        {"contact", {}},
    };
    return fields.at(kind);
}

const std::vector<std::string>& need_members() {
    static const std::vector<std::string> members{"need.aufenthalt", "need.sgb2", "need.wohnen", "need.arbeit",
                                                  "need.kita", "need.deutsch", "need.gesundheit"};
    return members;
}

class World {
public:
    // The three replicas of each seed are copies of `site`'s (made once per run).
    World(std::uint64_t seed, const std::filesystem::path& site) : seed_(seed), rng_(seed), dir_("kim-conv") {
        for (int i = 0; i < replica_count; ++i) {
            const std::string name = "r" + std::to_string(i);
            std::filesystem::copy(site / name, dir_ / name, std::filesystem::copy_options::recursive);
            replicas_.push_back(Replica::open(dir_ / name, kim::test::passphrase));
        }
        own_.assign(replica_count, 0);
    }

    // One replica created, two joined with its site key bundle; each learns the
    // others' introductions by importing their change files. Closed afterwards.
    static void make_site(const std::filesystem::path& site) {
        std::vector<Replica> rs;
        rs.push_back(kim::test::make_replica(site / "r0", "hamborn", "hamborn-a"));
        rs.push_back(kim::test::join_replica(rs[0], site / "r1", "hamborn-b"));
        rs.push_back(kim::test::join_replica(rs[0], site / "r2", "hamborn-c"));
        for (int to = 0; to < replica_count; ++to) {
            for (int from = 0; from < replica_count; ++from) {
                if (to != from) rs[to].import_changes(rs[from].export_changes());
            }
        }
        for (auto& r : rs) {
            if (r.status().peers.size() != replica_count) throw std::runtime_error("introductions did not spread");
        }
    }

    void run() {
        for (int step = 0; step < operations_per_seed; ++step) {
            const std::size_t r = rng_.below(replica_count);
            const std::size_t what = rng_.below(100);
            if (what < 12 || records_.empty()) {
                create_case(r);
            } else if (what < 26) {
                add_child(r);
            } else if (what < 46) {
                edit(r);
            } else if (what < 54) {
                topic(r);
            } else if (what < 62) {
                concurrent_edit();
            } else if (what < 68) {
                resolve(r);
            } else if (what < 71) {
                erase(r);
            } else if (what < 73) {
                reopen(r);
            } else {
                partial_exchange(r);
            }
            if (::testing::Test::HasFatalFailure()) return;
        }
    }

    // Every replica imports the full change file of every other, round after
    // round until all hold every change (one round normally suffices, since
    // later importers receive files that already hold the earlier ones').
    void final_exchange() {
        std::uint64_t total = 0;
        for (const auto n : own_) total += n;
        for (int round = 0; round < 3; ++round) {
            for (std::size_t to = 0; to < replica_count; ++to) {
                for (std::size_t from = 0; from < replica_count; ++from) {
                    if (to != from) replicas_[to].import_changes(replicas_[from].export_changes());
                }
            }
            for (std::size_t r = 0; r < replica_count; ++r) changed(r);
            bool complete = true;
            for (auto& r : replicas_) {
                const auto s = r.status();
                complete = complete && s.all_changes == total && s.waiting_changes == 0;
            }
            if (complete) return;
        }
    }

    void check();
    // Changes written (each a signed write of one or more fields, or an erasure).
    std::uint64_t changes() const {
        std::uint64_t n = 0;
        for (const auto o : own_) n += o;
        return n;
    }

private:
    Replica& at(std::size_t r) { return replicas_[r]; }

    std::string unique_text() { return "v" + std::to_string(seed_) + "-" + std::to_string(++counter_); }

    std::string random_value(const std::string& kind, const std::string& field) {
        const kim::FieldSpec* spec = kim::Catalogue::builtin().field(kind, field);
        if (!spec) throw std::runtime_error("no field " + kind + "." + field);
        switch (spec->type) {
        case kim::FieldType::text:
            return unique_text();
        case kim::FieldType::date: {
            char buf[16];
            std::snprintf(buf, sizeof buf, "%04zu-%02zu-%02zu", 1950 + rng_.below(76), 1 + rng_.below(12), 1 + rng_.below(28));
            return buf;
        }
        case kim::FieldType::enumeration:
            return rng_.pick(spec->values);
        case kim::FieldType::quarter:
            return std::to_string(2020 + rng_.below(8)) + "-Q" + std::to_string(1 + rng_.below(4));
        default:
            throw std::runtime_error("cannot make a value for " + kind + "." + field);
        }
    }

    // The view of `record` on replica r when r can write to it: the record's
    // creation (and, for a record of a case, the case's) has arrived and it
    // is not erased there.
    std::optional<RecordView> usable(std::size_t r, const std::string& record) {
        const RecordView* view = cached_read(r, record);
        if (!view || view->erased) return std::nullopt;
        if (view->kind == "case") {
            // Every case is created with a name; it reads only with the case key,
            // which comes with the creation.
            const auto* name = view->field("name");
            if (!name || !name->shown.readable) return std::nullopt;
            return *view;
        }
        if (view->case_id.empty() || !usable(r, view->case_id)) return std::nullopt;
        return *view;
    }

    // Reads are the dearest calls of the test, so views are kept until they
    // may change: a local write changes only the view of the record written;
    // an erasure (which reaches the records of a case) and an import may
    // change any. Null when the record is unknown there.
    const RecordView* cached_read(std::size_t r, const std::string& record) {
        auto& cache = views_[r];
        auto it = cache.find(record);
        if (it == cache.end()) {
            std::optional<RecordView> v;
            try {
                v = at(r).read(record);
            } catch (const kim::NotFoundError&) {
            }
            it = cache.emplace(record, std::move(v)).first;
        }
        return it->second ? &*it->second : nullptr;
    }
    void changed(std::size_t r) { views_[r].clear(); }
    void touched(std::size_t r, const std::string& record) { views_[r].erase(record); }

    // A record usable on r, of one of `kinds` (any when empty).
    std::optional<RecordView> pick_usable(std::size_t r, const std::set<std::string>& kinds = {}) {
        std::vector<std::string> candidates;
        for (const auto& rec : records_) {
            if (kinds.empty() || kinds.count(info_.at(rec).kind)) candidates.push_back(rec);
        }
        rng_.shuffle(candidates);
        for (const auto& rec : candidates) {
            if (auto v = usable(r, rec)) return v;
        }
        return std::nullopt;
    }

    std::string next_change(std::size_t r) { return at(r).replica_id() + ":" + std::to_string(++own_[r]); }

    // Records in the model every field the change `id` wrote in the new record
    // `record` (its given fields and the defaults added by kim).
    void note_creation(std::size_t r, const std::string& record, const std::string& kind, const std::string& case_id,
                       const FieldInputs& given, const std::set<std::string>& defaults) {
        touched(r, record);
        const std::string id = next_change(r);
        records_.push_back(record);
        info_[record] = {kind, case_id};
        const RecordView view = *cached_read(r, record);
        ASSERT_EQ(view.case_id, case_id);
        for (const auto& [field, value] : given) {
            const auto* f = view.field(field);
            ASSERT_NE(f, nullptr) << field;
            EXPECT_EQ(f->shown.value, value) << field;
        }
        for (const auto& f : view.fields) {
            ASSERT_EQ(f.shown.change, id) << "a new record holds only its creation, field " << f.name;
            ASSERT_TRUE(f.conflicting.empty());
            const bool was_given = std::any_of(given.begin(), given.end(), [&](const auto& g) { return g.first == f.name; });
            ASSERT_TRUE(was_given || defaults.count(f.name)) << "unexpected field " << f.name << " in a new " << kind;
            writes_.push_back({record, f.name, f.shown.value, id, {}});
        }
    }

    void create_case(std::size_t r) {
        FieldInputs fields{{"name", unique_text()}};
        if (rng_.chance(50)) fields.emplace_back("address", unique_text());
        if (rng_.chance(50)) fields.emplace_back("sex", random_value("case", "sex"));
        if (rng_.chance(40)) fields.emplace_back("birth_date", random_value("case", "birth_date"));
        if (rng_.chance(60)) fields.emplace_back(rng_.pick(need_members()), std::to_string(1 + rng_.below(3)));
        const std::string id = at(r).create_case(fields);
        note_creation(r, id, "case", "", fields, {"phase", "opened_quarter", "age_band"});
    }

    void add_child(std::size_t r) {
        const auto c = pick_usable(r, {"case"});
        if (!c) return;
        const std::size_t k = rng_.below(10);
        std::string kind;
        FieldInputs fields;
        std::set<std::string> defaults;
        if (k < 5) {
            kind = "contact";  // a note of the case journal
            fields = {{"text", unique_text()}, {"mode", random_value("contact", "mode")}};
            if (rng_.chance(30)) fields.emplace_back("place", unique_text());
            defaults = {"date"};
        } else if (k < 8) {
            kind = "goal";
            fields = {{"text", unique_text()}, {"field", random_value("goal", "field")}};
            defaults = {"status"};
        } else if (k < 9) {
            kind = "consent";
            fields = {{"recipients", unique_text()}, {"scope", random_value("consent", "scope")}};
            defaults = {"given_quarter", "withdrawn"};
        } else {
            kind = "referral";
            fields = {{"agency", unique_text()}, {"target_type", random_value("referral", "target_type")}};
            defaults = {"outcome"};
        }
        const std::string id = at(r).add_record(kind, c->id, fields);
        note_creation(r, id, kind, c->id, fields, defaults);
    }

    // Writes `fields` to `record` on replica r (an edit, or a resolve when
    // `resolving`) and records in the model what the write superseded.
    void write(std::size_t r, const std::string& record, const FieldInputs& fields, bool resolving) {
        const RecordView before = *cached_read(r, record);
        if (resolving) {
            at(r).resolve(record, fields.at(0).first, fields.at(0).second);
        } else {
            at(r).set_fields(record, fields);
        }
        touched(r, record);
        const std::string id = next_change(r);
        const RecordView after = *cached_read(r, record);
        for (const auto& [field, value] : fields) {
            const auto* f = after.field(field);
            ASSERT_NE(f, nullptr) << field;
            ASSERT_EQ(f->shown.change, id) << "a replica shows its latest write of " << field;
            EXPECT_EQ(f->shown.value, value) << field;
        }
        for (const auto& f : after.fields) {
            if (f.shown.change != id) continue;
            const bool was_given = std::any_of(fields.begin(), fields.end(), [&](const auto& g) { return g.first == f.name; });
            // Closing a case adds its closed quarter when it has none.
            ASSERT_TRUE(was_given || (f.name == "closed_quarter" && !before.field("closed_quarter")))
                << "unexpected field " << f.name << " written by " << id;
            Write w{record, f.name, f.shown.value, id, {}};
            if (const auto* seen = before.field(f.name)) {
                w.parents.insert(seen->shown.change);
                if (resolving) {
                    for (const auto& h : seen->conflicting) w.parents.insert(h.change);
                }
            }
            writes_.push_back(std::move(w));
        }
    }

    FieldInputs random_edit(const std::string& kind) {
        const auto& choices = editable_fields(kind);
        FieldInputs fields;
        const std::size_t n = 1 + rng_.below(2);
        for (std::size_t i = 0; i < n; ++i) {
            const std::string& f = rng_.pick(choices);
            if (std::any_of(fields.begin(), fields.end(), [&](const auto& g) { return g.first == f; })) continue;
            fields.emplace_back(f, random_value(kind, f));
        }
        return fields;
    }

    void edit(std::size_t r) {
        const auto v = pick_usable(r, {"case", "goal", "consent", "referral"});
        if (!v) return;
        write(r, v->id, random_edit(v->kind), false);
    }

    // A topic of need added (a level 1-3) or removed (back to "0").
    void topic(std::size_t r) {
        const auto v = pick_usable(r, {"case"});
        if (!v) return;
        const std::string& member = rng_.pick(need_members());
        const auto* f = v->field(member);
        const bool present = f && f->shown.value != "0";
        write(r, v->id, {{member, present ? "0" : std::to_string(1 + rng_.below(3))}}, false);
    }

    // Two or three replicas write the same field of one record before any exchange.
    void concurrent_edit() {
        std::vector<std::string> candidates = records_;
        rng_.shuffle(candidates);
        for (const auto& rec : candidates) {
            const std::string& kind = info_.at(rec).kind;
            if (editable_fields(kind).empty()) continue;
            std::vector<std::size_t> writers;
            for (std::size_t r = 0; r < replica_count; ++r) {
                if (usable(r, rec)) writers.push_back(r);
            }
            if (writers.size() < 2) continue;
            const std::string& field = rng_.pick(editable_fields(kind));
            for (const auto r : writers) {
                write(r, rec, {{field, random_value(kind, field)}}, false);
                if (::testing::Test::HasFatalFailure()) return;
            }
            return;
        }
    }

    void resolve(std::size_t r) {
        auto conflicts = at(r).conflicts();
        rng_.shuffle(conflicts);
        for (const auto& c : conflicts) {
            if (!usable(r, c.record)) continue;
            write(r, c.record, {{c.field, random_value(c.kind, c.field)}}, true);
            return;
        }
    }

    void erase(std::size_t r) {
        const auto v = pick_usable(r);
        if (!v) return;
        at(r).erase(v->id);
        changed(r);
        next_change(r);
        erased_.insert(v->id);
    }

    // Closes replica r and opens it again (its clock and state come from the file).
    void reopen(std::size_t r) {
        { const Replica closing = std::move(replicas_[r]); }
        replicas_[r] = Replica::open(dir_ / ("r" + std::to_string(r)), kim::test::passphrase);
        changed(r);
    }

    // r imports a random subset of a peer's change file, shuffled, with duplicates.
    void partial_exchange(std::size_t r) {
        std::size_t from = rng_.below(replica_count - 1);
        if (from >= r) ++from;
        json file = at(from).export_changes();
        // What a replica passes on carries no ciphertext of a record erased
        // there, not even for changes it holds while waiting for a gap.
        for (const auto& c : file["changes"]) {
            bool has_ct = false;
            std::string linked_case;
            for (const auto& op : c["ops"]) {
                has_ct |= op.contains("ct");
                if (op["field"] == "case") linked_case = op["value"].get<std::string>();
            }
            if (!has_ct) continue;
            for (const auto& rec : {c["record"].get<std::string>(), linked_case}) {
                if (rec.empty()) continue;
                const RecordView* v = cached_read(from, rec);
                EXPECT_FALSE(v && v->erased) << at(from).replica_id() << " passes on a ciphertext of erased record " << rec
                                             << " in change " << c["origin"] << ":" << c["seq"];
            }
        }
        std::vector<json> subset;
        const unsigned keep = rng_.pick(std::vector<unsigned>{25, 50, 80, 100});
        for (const auto& c : file["changes"]) {
            if (!rng_.chance(keep)) continue;
            subset.push_back(c);
            if (rng_.chance(15)) subset.push_back(c);
        }
        rng_.shuffle(subset);
        file["changes"] = subset;
        const auto report = at(r).import_changes(file);
        changed(r);
        EXPECT_EQ(report.received, subset.size());
    }

    bool model_erased(const std::string& record) const {
        const auto& i = info_.at(record);
        return erased_.count(record) || (!i.case_id.empty() && erased_.count(i.case_id));
    }

    std::uint64_t seed_;
    Rng rng_;
    kim::test::TempDir dir_;
    std::vector<Replica> replicas_;
    std::vector<std::uint64_t> own_;
    std::uint64_t counter_ = 0;
    std::map<std::string, std::optional<RecordView>> views_[replica_count];

    std::vector<std::string> records_;  // in creation order
    std::map<std::string, RecordInfo> info_;
    std::vector<Write> writes_;
    std::set<std::string> erased_;  // records erased directly
};

std::string describe_conflicts(Replica& r) {
    std::string out;
    for (const auto& c : r.conflicts()) {
        out += c.record + " " + c.kind + " " + c.field + ":";
        for (const auto& h : c.heads) out += " " + h.change + "=" + h.value + (h.readable ? "" : "(unreadable)");
        out += "\n";
    }
    return out;
}

void World::check() {
    // Everyone holds everything, and nothing waits.
    std::uint64_t total = 0;
    for (const auto n : own_) total += n;
    for (std::size_t r = 0; r < replica_count; ++r) {
        const auto s = at(r).status();
        EXPECT_EQ(s.all_changes, total) << s.replica;
        EXPECT_EQ(s.own_changes, own_[r]) << s.replica;
        EXPECT_EQ(s.waiting_changes, 0u) << s.replica;
    }
    // The same state and the same conflicts everywhere.
    const std::string digest = at(0).state_digest();
    const std::string conflicts = describe_conflicts(at(0));
    for (std::size_t r = 1; r < replica_count; ++r) {
        EXPECT_EQ(at(r).state_digest(), digest) << at(r).replica_id() << " differs from " << at(0).replica_id();
        EXPECT_EQ(describe_conflicts(at(r)), conflicts) << at(r).replica_id();
    }

    // The merge rule applied to the model.
    std::map<std::pair<std::string, std::string>, std::set<std::string>> superseded;
    for (const auto& w : writes_) superseded[{w.record, w.field}].insert(w.parents.begin(), w.parents.end());
    std::map<std::string, std::map<std::string, std::map<std::string, std::string>>> heads;  // record -> field -> change -> value
    for (const auto& w : writes_) {
        if (!superseded[{w.record, w.field}].count(w.change)) heads[w.record][w.field][w.change] = w.value;
    }
    std::set<std::string> expected_conflicts;
    for (const auto& [record, fields] : heads) {
        if (model_erased(record)) continue;
        for (const auto& [field, hs] : fields) {
            if (hs.size() > 1) expected_conflicts.insert(record + "/" + field);
        }
    }

    // The digest covers every record's erased flag and the change id, clear
    // value and ciphertext hash of every head, so with the digests equal the
    // merged state of one replica stands for all; it is checked against the
    // model in full (which also decrypts every head).
    {
        const std::size_t r = rng_.below(replica_count);
        SCOPED_TRACE(at(r).replica_id());
        for (const auto& record : records_) {
            const RecordView view = at(r).read(record);
            const bool erased = model_erased(record);
            ASSERT_EQ(view.erased, erased) << record;
            if (erased) {
                EXPECT_TRUE(view.fields.empty()) << record;
                continue;
            }
            const auto& expected = heads[record];
            std::set<std::string> expected_fields;
            for (const auto& [field, hs] : expected) expected_fields.insert(field);
            std::set<std::string> shown_fields;
            for (const auto& f : view.fields) {
                shown_fields.insert(f.name);
                std::map<std::string, std::string> actual{{f.shown.change, f.shown.value}};
                EXPECT_TRUE(f.shown.readable) << record << "/" << f.name << ": " << f.shown.unreadable_reason;
                for (const auto& h : f.conflicting) {
                    actual[h.change] = h.value;
                    EXPECT_TRUE(h.readable) << record << "/" << f.name << ": " << h.unreadable_reason;
                    // The shown head is the one with the greatest (hlc, origin).
                    EXPECT_TRUE(f.shown.hlc > h.hlc || (f.shown.hlc == h.hlc && origin_of(f.shown.change) > origin_of(h.change)))
                        << record << "/" << f.name << ": " << f.shown.change << " shown before " << h.change;
                }
                const auto it = expected.find(f.name);
                if (it == expected.end()) continue;  // reported by the field sets below
                EXPECT_EQ(actual, it->second) << "heads of " << record << "/" << f.name;
            }
            EXPECT_EQ(shown_fields, expected_fields) << record;
        }
        std::set<std::string> actual_conflicts;
        for (const auto& c : at(r).conflicts()) actual_conflicts.insert(c.record + "/" + c.field);
        EXPECT_EQ(actual_conflicts, expected_conflicts);
    }

    for (std::size_t r = 0; r < replica_count; ++r) {
        SCOPED_TRACE(at(r).replica_id());
        // Erased records hold no ciphertext (and pass none on); live ones hold all of theirs.
        const json exported = at(r).export_changes();
        for (const auto& c : exported["changes"]) {
            const std::string record = c["record"].get<std::string>();
            const bool erased = info_.count(record) && model_erased(record);
            ASSERT_TRUE(info_.count(record)) << "a change of a record the test never made: " << record;
            for (const auto& op : c["ops"]) {
                if (!op.contains("ct_hash")) continue;
                EXPECT_EQ(op.contains("ct"), !erased) << c["origin"] << ":" << c["seq"] << " " << op["field"];
            }
        }
    }
}

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    return std::stoull(v);
}

TEST(convergence, random_concurrent_workloads_converge_and_lose_nothing) {
    std::vector<std::uint64_t> seeds;
    if (const char* one = std::getenv("KIM_CONVERGENCE_SEED"); one && *one) {
        seeds.push_back(std::stoull(one));
    } else {
        const auto n = env_number("KIM_CONVERGENCE_SEEDS", 500);
        for (std::uint64_t s = 1; s <= n; ++s) seeds.push_back(s);
    }
    const auto started = std::chrono::steady_clock::now();
    const kim::test::TempDir site{"kim-conv-site"};
    World::make_site(site.path());
    std::size_t done = 0;
    std::uint64_t changes = 0;
    for (const auto seed : seeds) {
        SCOPED_TRACE("seed " + std::to_string(seed) + " (replay: KIM_CONVERGENCE_SEED=" + std::to_string(seed) +
                     " kim_client_tests --gtest_filter='convergence.*')");
        try {
            World world(seed, site.path());
            world.run();
            if (!::testing::Test::HasFailure()) {
                world.final_exchange();
                world.check();
            }
            changes += world.changes();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "exception: " << e.what();
        }
        ++done;
        if (::testing::Test::HasFailure()) {
            std::cerr << "convergence: seed " << seed << " failed; replay with KIM_CONVERGENCE_SEED=" << seed << "\n";
            break;
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << "convergence: " << done << " seed(s), " << changes << " changes written, in " << seconds << " s\n";
}

}  // namespace
