// Two replicas of one site writing a small but complete case (consent, goal,
// contact, an edit from each), their changes in an in-process server log
// with two checkpoints. The starting point of most audit tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "../client/replica_fixture.hpp"
#include "audit_log_fixture.hpp"
#include "temp_dir.hpp"

namespace kim::test {

class SiteLog : public ::testing::Test {
protected:
    void SetUp() override {
        a = make_replica(dir / "a", "hamborn", "hamborn-a");
        b = join_replica(*a, dir / "b", "hamborn-b");
        log.enrol(*a);
        log.enrol(*b);
        case_id = a->create_case({{"name", "Amina K."}, {"phase", "planning"}});
        consent = a->add_record("consent", case_id, {{"scope", "processing"}, {"recipients", "RSC Hamborn"}});
        log.append_new(*a);
        log.checkpoint();
        sync_all({&*a, &*b});
        goal = b->add_record("goal", case_id, {{"text", "Wohnung finden"}, {"field", "wohnen"}});
        b->set_fields(case_id, {{"phase", "linking"}});
        log.append_new(*b);
        contact = a->add_record("contact", case_id, {{"text", "Erstgespräch"}, {"mode", "in_person"}});
        log.append_new(*a);
        log.checkpoint();
    }

    // The index in the log of the first change of `origin` on `record`.
    std::size_t change_on(const std::string& origin, const std::string& record) const {
        for (std::size_t i = 0; i < log.entries.size(); ++i) {
            const auto& c = log.entries[i].change;
            if (c.at("origin") == origin && c.at("record") == record) return i;
        }
        throw std::runtime_error("no change of " + origin + " on that record");
    }
    static std::string id_of(const protocol::AuditLogEntry& e) {
        return e.change.at("origin").get<std::string>() + ":" + std::to_string(e.change.at("seq").get<std::uint64_t>());
    }

    TempDir dir{"kimaudit"};
    std::optional<client::Replica> a;
    std::optional<client::Replica> b;
    AuditLog log;
    std::string case_id, consent, goal, contact;
};

}  // namespace kim::test
