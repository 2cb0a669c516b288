// The role check every endpoint makes.
#include "caller.hpp"

#include "kim/shared/errors.hpp"

namespace kim::server {

void require_role(const Caller& caller, protocol::Role role) {
    if (caller.role == role) return;
    throw PermissionError("this needs the " + std::string(protocol::to_string(role)) + " role; '" + caller.identity +
                          "' is signed in as " + std::string(protocol::to_string(caller.role)));
}

}  // namespace kim::server
