// The rules of enrolment, the same in every backend: replica ids and user
// names share one namespace, a revoked id is never used again, one key
// names one replica. Each backend supplies the statements (EnrolmentTables)
// inside its write transaction, under its writer lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store.hpp"

namespace kim::server {

class EnrolmentTables {
public:
    virtual ~EnrolmentTables() = default;
    // The replica's revoked_at: nothing when no replica has that id, an
    // empty value when it is active.
    virtual std::optional<std::optional<std::int64_t>> replica_revoked_at(std::string_view id) = 0;
    // Whether a replica or a user has that id or name.
    virtual bool identity_taken(std::string_view id) = 0;
    // The replica enrolled with that key, if any.
    virtual std::optional<std::string> replica_with_key(const crypto::PublicKey& key) = 0;
    virtual void insert_replica(const EnrolledReplica& r) = 0;
    virtual void set_revoked_at(std::string_view id, std::int64_t at) = 0;
    virtual void insert_user(const User& u) = 0;
};

// StateError if the id is taken, was revoked, or the key is enrolled already.
void enrol_replica(EnrolmentTables& tables, const EnrolledReplica& r);
// NotFoundError if unknown; StateError if already revoked.
void revoke_enrolled_replica(EnrolmentTables& tables, std::string_view id, std::int64_t at);
// InputError for a user that cannot be one; call before taking any lock.
void check_new_user(const User& u);
// StateError if the name is taken; the caller checked `u` with check_new_user.
void enrol_user(EnrolmentTables& tables, const User& u);

}  // namespace kim::server
