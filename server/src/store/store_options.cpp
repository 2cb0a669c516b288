#include "store_options.hpp"

#include <string>

#include "kim/shared/errors.hpp"

namespace kim::server {

void check_store_options(const StoreOptions& options) {
    if (options.checkpoint_interval < 1 || options.checkpoint_interval > max_checkpoint_interval) {
        throw InputError("the checkpoint interval must be a whole number from 1 to " +
                         std::to_string(max_checkpoint_interval) + " changes");
    }
}

}  // namespace kim::server
