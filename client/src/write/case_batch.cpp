// Replica::create_cases: many new cases with their records in one transaction
// (`kim case import`), planned by the same code as create_case and add_record.
#include <map>

#include "../replica_impl.hpp"
#include "record_plans.hpp"
#include "kim/shared/errors.hpp"
#include "kim/shared/ids.hpp"

namespace kim::client {

namespace {

// The error again, of the same type (so the exit code stays), with `origin` in front.
[[noreturn]] void rethrow_from(const std::string& origin) {
    const std::string prefix = origin.empty() ? "" : origin + ": ";
    try {
        throw;
    } catch (const InputError& e) {
        throw InputError(prefix + e.what());
    } catch (const NotFoundError& e) {
        throw NotFoundError(prefix + e.what());
    } catch (const StateError& e) {
        throw StateError(prefix + e.what());
    } catch (const IntegrityError& e) {
        throw IntegrityError(prefix + e.what());
    } catch (const Error& e) {
        throw Error(prefix + e.what());
    }
}

struct PlannedRecord {
    std::string id;
    std::string kind;
    std::vector<PlannedOp> ops;
};

struct PlannedCase {
    std::string id;
    Key32 key{};
    std::vector<PlannedOp> ops;
    std::vector<PlannedRecord> records;
};

PlannedCase plan_case(const Catalogue& cat, const NewCase& input) {
    PlannedCase c;
    c.id = random_uuid();
    c.key = crypto::random_key();
    c.ops = plan_new_case(cat, input.fields, c.key);
    std::map<std::string, int> nth;  // "referral 2": which of the case's records went wrong
    for (const auto& [kind, fields] : input.records) {
        const int n = ++nth[kind];
        try {
            c.records.push_back({random_uuid(), kind, plan_new_record(cat, kind, c.id, fields)});
        } catch (const Error&) {
            rethrow_from(kind + " " + std::to_string(n));
        }
    }
    return c;
}

}  // namespace

std::vector<std::string> Replica::create_cases(const std::vector<NewCase>& cases) {
    auto& m = *impl_;
    // Everything is checked before the first write, so that an error in the
    // last case leaves no half-imported file behind even outside a transaction.
    std::vector<PlannedCase> planned;
    planned.reserve(cases.size());
    for (const auto& input : cases) {
        try {
            planned.push_back(plan_case(m.catalogue, input));
        } catch (const Error&) {
            rethrow_from(input.origin);
        }
    }
    std::vector<std::string> ids;
    ids.reserve(planned.size());
    sqlite::Transaction tx(*m.db);
    for (std::size_t i = 0; i < planned.size(); ++i) {
        auto& c = planned[i];
        try {
            m.writer.commit(c.id, "case", std::move(c.ops), &c.key);
            for (auto& r : c.records) m.writer.commit(r.id, r.kind, std::move(r.ops), &c.key);
        } catch (const Error&) {
            rethrow_from(cases[i].origin);
        }
        secure_wipe(c.key.data(), c.key.size());
        ids.push_back(c.id);
    }
    tx.commit();
    return ids;
}

}  // namespace kim::client
