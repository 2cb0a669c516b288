// Who is calling, as proven by a bearer token.
#pragma once

#include <string>

#include "kim/shared/protocol.hpp"

namespace kim::server {

struct Caller {
    std::string identity;
    protocol::Role role = protocol::Role::replica;
    std::string site;  // replicas only
};

// PermissionError ("this needs the X role") unless the caller has `role`.
void require_role(const Caller& caller, protocol::Role role);

}  // namespace kim::server
