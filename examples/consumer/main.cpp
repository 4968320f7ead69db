// Uses two components of an installed ce: nothing here knows where ce lives, which is
// the job of find_package(ce) and the target ce::ce.
#include <ce/http.hpp>
#include <ce/lru_cache.hpp>

#include <iostream>
#include <string>
#include <variant>

// [main]
int main() {
    ce::lru_cache<std::string, int> sizes(2);
    sizes.put("a", 1);
    sizes.put("b", 2);
    sizes.put("c", 3);  // evicts "a", the least recently used

    const auto head = ce::http::parse_request_head("GET /jobs/7 HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const auto* request = std::get_if<ce::http::request_head>(&head);
    if (request == nullptr || sizes.contains("a")) {
        return 1;
    }
    std::cout << "ce works: " << sizes.size() << " cached, " << request->method << ' ' << request->target << '\n';
    return 0;
}
// [main]
