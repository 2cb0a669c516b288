// The exception types of kimsync; each carries a message meant for a person.
#pragma once

#include <stdexcept>
#include <string>

namespace kim {

// Base of every error kimsync raises on purpose. The message says what went
// wrong and, where possible, what to do about it.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The caller gave something we cannot accept: an unknown field, a value
// outside a statistical field's list, a malformed id or file.
class InputError : public Error {
public:
    using Error::Error;
};

// Something asked for does not exist (a record, a replica folder).
class NotFoundError : public Error {
public:
    using Error::Error;
};

// Wrong passphrase or a secret that does not open.
class AuthError : public Error {
public:
    using Error::Error;
};

// The caller is known but its role may not do this (HTTP 403).
class PermissionError : public Error {
public:
    using Error::Error;
};

// Data that fails a cryptographic or structural check: a bad signature, a
// broken chain, a ciphertext that does not match its hash.
class IntegrityError : public Error {
public:
    using Error::Error;
};

// The operation conflicts with the current state (e.g. the replica exists).
class StateError : public Error {
public:
    using Error::Error;
};

}  // namespace kim
