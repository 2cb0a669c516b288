#include "handler_support.hpp"

#include <string>

#include "kim/shared/errors.hpp"
#include "kim/shared/json_input.hpp"

namespace kim::server::http {

nlohmann::json json_body(const Request& request, std::string_view what) {
    if (request.body.empty()) {
        throw InputError(std::string(what) + " is missing: the request has no body (send JSON)");
    }
    return parse_untrusted_json(request.body, what);
}

Caller authenticated_caller(AuthService& auth, const Request& request) {
    if (request.authorization.empty()) {
        throw AuthError("this request needs a token (Authorization: Bearer TOKEN); get one with "
                        "POST /v1/auth/challenge and POST /v1/auth/token");
    }
    return auth.authenticate(request.authorization);
}

}  // namespace kim::server::http
