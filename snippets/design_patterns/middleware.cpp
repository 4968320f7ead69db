// Middleware: the chapter page shows the named regions of this file.
#include <ce/error.hpp>
#include <ce/pipeline.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// [allocation-count]
// Counts every allocation of this program, to check that a request allocates nothing.
namespace {
std::size_t allocation_count = 0;
}  // namespace

void* operator new(std::size_t size) {
    ++allocation_count;
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
// [allocation-count]

namespace web {

// [types]
struct request {
    std::string path;
    std::map<std::string, std::string> headers;
    std::string user;  // set by the auth layer for the layers inside it
};

struct response {
    int status = 200;
    std::string body;
};

using app_pipeline = ce::pipeline<request, response>;
using next_handler = app_pipeline::handler;  // what a layer calls to go on
// [types]

// [auth-layer]
// Python (Starlette):
//     async def dispatch(self, request, call_next):
//         if "authorization" not in request.headers:
//             return Response(status_code=401)
//         return await call_next(request)
response require_user(request& req, const next_handler& next) {
    const auto token = req.headers.find("authorization");
    if (token == req.headers.end() || !token->second.starts_with("Bearer ")) {
        return {401, "unauthorized"};  // short-circuit: next is never called
    }
    req.user = token->second.substr(7);  // tell the inner layers who is asking
    return next(req);
}
// [auth-layer]

// [error-layer]
// Exceptions become responses here, so no exception leaves the pipeline.
response map_errors(request& req, const next_handler& next) {
    try {
        return next(req);
    } catch (const ce::usage_error& e) {
        return {400, e.what()};  // the client can fix the request
    } catch (...) {
        return {500, "internal error"};  // details belong in the log, not the reply
    }
}
// [error-layer]

// [endpoint]
response route(request& req) {
    if (req.path == "/hello") {
        return {200, "hello " + req.user};
    }
    if (req.path.starts_with("/orders/")) {
        const std::string id = req.path.substr(8);
        if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
            throw ce::usage_error("order id must be a number");
        }
        throw ce::internal_error("order store unreachable");
    }
    return {404, "not found"};
}

app_pipeline make_app() {
    // The first layer is the outermost: errors are mapped for everything inside it.
    return app_pipeline({map_errors, require_user}, route);
}
// [endpoint]

// [authorized]
request authorized(std::string path) {
    return {std::move(path), {{"authorization", "Bearer ada"}}, {}};
}
// [authorized]

}  // namespace web

TEST_CASE("the first registered layer is the outermost") {
    // [trace-layers]
    std::vector<std::string> trace;
    auto traced = [&trace](const std::string& name) {
        return [&trace, name](web::request& req, const web::next_handler& next) {
            trace.push_back(name + ">");
            web::response res = next(req);
            trace.push_back("<" + name);
            return res;
        };
    };
    web::app_pipeline app({traced("a"), traced("b")}, [&trace](web::request&) {
        trace.push_back("handler");
        return web::response{200, "ok"};
    });

    web::request req{"/", {}, {}};
    app(req);
    std::string joined;
    for (const std::string& step : trace) {
        joined += (joined.empty() ? "" : " ") + step;
    }
    // [trace-layers]
    // [trace-output]
    constexpr std::string_view expected = R"(
a> b> handler <b <a)";
    // [trace-output]
    CHECK(joined == expected.substr(1));
}

TEST_CASE("a layer can short-circuit without calling next") {
    // [short-circuit]
    int endpoint_calls = 0;
    web::app_pipeline app({web::require_user}, [&](web::request& req) {
        ++endpoint_calls;
        return web::response{200, "hello " + req.user};
    });

    web::request anonymous{"/hello", {}, {}};
    const web::response denied = app(anonymous);
    CHECK(denied.status == 401);
    CHECK(endpoint_calls == 0);  // the handler never ran

    web::request ada = web::authorized("/hello");
    const web::response greeted = app(ada);
    CHECK(greeted.status == 200);
    CHECK(greeted.body == "hello ada");  // the auth layer annotated the request
    CHECK(endpoint_calls == 1);
    // [short-circuit]
}

TEST_CASE("exceptions map to error responses") {
    // [errors-to-responses]
    const web::app_pipeline app = web::make_app();

    web::request bad = web::authorized("/orders/abc");
    const web::response r400 = app(bad);
    CHECK(r400.status == 400);
    CHECK(r400.body == "order id must be a number");

    web::request broken = web::authorized("/orders/17");
    const web::response r500 = app(broken);
    CHECK(r500.status == 500);
    CHECK(r500.body == "internal error");  // the internal message does not leak

    web::request missing = web::authorized("/nowhere");
    CHECK(app(missing).status == 404);
    // [errors-to-responses]
}

TEST_CASE("an error layer only sees exceptions from the layers inside it") {
    // [order-matters]
    auto rate_limit = [](web::request& req, const web::next_handler& next) -> web::response {
        if (req.user.empty()) {  // needs require_user to have run first
            throw ce::internal_error("rate limit needs an authenticated user");
        }
        return next(req);
    };
    web::request req = web::authorized("/hello");

    const web::app_pipeline wrong({rate_limit, web::map_errors, web::require_user}, web::route);
    CHECK_THROWS_AS(wrong(req), ce::internal_error);  // outside map_errors: escapes

    const web::app_pipeline right({web::map_errors, web::require_user, rate_limit}, web::route);
    CHECK(right(req).body == "hello ada");
    // [order-matters]
}

TEST_CASE("the chain is composed once: handling a request allocates nothing") {
    // [composed-once]
    const web::app_pipeline app = web::make_app();  // every allocation happens here
    web::request req = web::authorized("/hello");

    const std::size_t before = allocation_count;
    const web::response res = app(req);
    CHECK(allocation_count - before == 0);
    CHECK(res.body == "hello ada");  // short strings: no allocation for these either
    // [composed-once]
}

namespace naive {

// [compose-per-request]
// Express-style: the `next` of each layer is built while the request is handled.
web::response call_layer(const std::vector<web::app_pipeline::layer>& layers, std::size_t i,
                         const web::next_handler& endpoint, web::request& req) {
    if (i == layers.size()) {
        return endpoint(req);
    }
    const web::next_handler next = [&layers, i, &endpoint](web::request& r) {
        return call_layer(layers, i + 1, endpoint, r);
    };
    return layers[i](req, next);
}
// [compose-per-request]

}  // namespace naive

TEST_CASE("composing per request allocates on every request") {
    const std::vector<web::app_pipeline::layer> layers{web::map_errors, web::require_user};
    const web::next_handler endpoint = web::route;
    web::request req = web::authorized("/hello");
    // [per-request-cost]
    const std::size_t before = allocation_count;
    const web::response res = naive::call_layer(layers, 0, endpoint, req);
    CHECK(res.body == "hello ada");
    // One std::function per layer per request: the 24-byte capture does not fit
    // libstdc++'s 16-byte inline buffer.
    CHECK(allocation_count - before == layers.size());
    // [per-request-cost]
}

TEST_CASE("a pipeline rejects an empty endpoint or layer") {
    CHECK_THROWS_WITH_AS(web::app_pipeline({}, nullptr), "ce::pipeline: the endpoint is empty", ce::usage_error);
    CHECK_THROWS_WITH_AS(web::app_pipeline({web::map_errors, nullptr}, web::route),
                         "ce::pipeline: layer 1 is empty", ce::usage_error);
}

TEST_CASE("a pipeline with no layers calls the endpoint directly") {
    const web::app_pipeline bare({}, web::route);
    web::request req{"/hello", {}, "bob"};
    CHECK(bare(req).body == "hello bob");
}
