#pragma once
/**
 * @file
 * Readable C++ type names at run time: `shop::database`, not `N4shop8databaseE`.
 *
 * `typeid(T).name()` is the ABI's mangled name on g++ and clang. ce::demangle turns it
 * back into source spelling where the platform's ABI library can (the Itanium C++ ABI's
 * `abi::__cxa_demangle`, which libstdc++ and libc++ both provide) and returns the
 * mangled name unchanged elsewhere. Used for error messages: ce::format_exception_chain
 * prints the dynamic type of each exception, ce::container names the types in a cycle.
 */

#include <cstdlib>
#include <memory>
#include <string>
#include <typeinfo>

#if __has_include(<cxxabi.h>)
#include <cxxabi.h>
#endif

namespace ce {

/// The source spelling of a mangled type name such as `typeid(x).name()`; the input
/// unchanged where it cannot be demangled. Allocates; thread-safe.
[[nodiscard]] inline std::string demangle(const char* mangled) {
#if __has_include(<cxxabi.h>)
    int status = 0;
    const std::unique_ptr<char, void (*)(void*)> readable{
        abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free};
    if (status == 0 && readable) {
        return readable.get();
    }
#endif
    return mangled;
}

/// The source spelling of `T`, without top-level reference or cv-qualifiers (as `typeid`).
template <class T>
[[nodiscard]] std::string type_name() {
    return demangle(typeid(T).name());
}

}  // namespace ce
