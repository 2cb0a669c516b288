#include "enrolment.hpp"

#include "kim/shared/errors.hpp"

namespace kim::server {

void enrol_replica(EnrolmentTables& tables, const EnrolledReplica& r) {
    if (const auto state = tables.replica_revoked_at(r.id); state && *state) {
        throw StateError("the id '" + r.id + "' belonged to a replica that was revoked, and a revoked id is never "
                         "used again (its changes stay in the log under it). Set the laptop up again with a new id "
                         "(`kim init --site SITE --replica NEW-ID --join ...`) and enrol that one");
    }
    if (tables.identity_taken(r.id)) {
        throw StateError("the id '" + r.id + "' is already enrolled (as a replica or a user); every replica needs its own "
                         "id (see `kim-server replica list`)");
    }
    // One key, one replica: a key pasted twice is a mistake, and two ids
    // with one key could push each other's changes.
    if (const auto other = tables.replica_with_key(r.public_key)) {
        throw StateError("this public key is already enrolled for replica '" + *other +
                         "'; each laptop has its own key: run `kim pubkey` on the laptop to be enrolled and use its key");
    }
    tables.insert_replica(r);
}

void revoke_enrolled_replica(EnrolmentTables& tables, std::string_view id, std::int64_t at) {
    const auto state = tables.replica_revoked_at(id);
    if (!state) throw NotFoundError("no replica '" + std::string(id) + "' is enrolled; see `kim-server replica list`");
    if (*state) throw StateError("replica '" + std::string(id) + "' is already revoked");
    tables.set_revoked_at(id, at);
}

void check_new_user(const User& u) {
    if (u.role == protocol::Role::replica) throw InputError("a user is a coordinator or an auditor; enrol replicas with `replica add`");
    if (!u.public_key && !u.password_hash) throw InputError("a user needs a public key or a password");
}

void enrol_user(EnrolmentTables& tables, const User& u) {
    if (tables.identity_taken(u.name)) {
        throw StateError("the name '" + u.name + "' is already enrolled (as a user or a replica); choose another");
    }
    tables.insert_user(u);
}

}  // namespace kim::server
