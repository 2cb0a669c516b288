// The store's own entries (the `meta` table of every backend): the format
// marker, the creation time and the server's secrets as base64.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store.hpp"

namespace kim::server {

// The entries of a new store, with freshly generated secrets. The texts of
// the secrets are wiped when this goes.
class NewStoreMeta {
public:
    explicit NewStoreMeta(std::int64_t created_at);
    ~NewStoreMeta();
    NewStoreMeta(const NewStoreMeta&) = delete;
    NewStoreMeta& operator=(const NewStoreMeta&) = delete;

    const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

private:
    std::vector<std::pair<std::string, std::string>> entries_;
};

// Reads the secrets through `get` (one meta entry by key). InputError when
// the store is not a kim-server store, IntegrityError naming `where` (the
// file or database, without a password) when an entry is missing or damaged.
ServerSecrets load_store_secrets(const std::function<std::optional<std::string>(std::string_view)>& get,
                                 const std::string& where);

}  // namespace kim::server
