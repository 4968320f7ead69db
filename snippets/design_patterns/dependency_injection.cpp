// Dependency injection: the chapter page shows the named regions of this file.
#include <ce/container.hpp>
#include <ce/error.hpp>

#include <doctest/doctest.h>

#include <concepts>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

// Production code: nothing in this namespace knows about the tests below.
namespace shop {

// [ports]
// Ports: what the service needs, as small interfaces it owns (Python: typing.Protocol
// or an abc.ABC). The service never learns which implementation it got.
class mailer {
public:
    virtual ~mailer() = default;
    virtual void send(const std::string& to, const std::string& body) = 0;

protected:  // C.67: implementations may copy themselves; nobody copies through a port
    mailer() = default;
    mailer(const mailer&) = default;
    mailer(mailer&&) = default;
    mailer& operator=(const mailer&) = default;
    mailer& operator=(mailer&&) = default;
};

class user_store {
public:
    virtual ~user_store() = default;
    /// Adds `email`; false if it was already there.
    virtual bool add(const std::string& email) = 0;

protected:
    user_store() = default;
    user_store(const user_store&) = default;
    user_store(user_store&&) = default;
    user_store& operator=(const user_store&) = default;
    user_store& operator=(user_store&&) = default;
};
// [ports]

// [constructor-injection]
// Python:
//     class SignupService:
//         def __init__(self, users: UserStore, mail: Mailer): ...
class signup_service {
public:
    signup_service(user_store& users, mailer& mail) : users_(users), mail_(mail) {}

    void sign_up(const std::string& email) {
        if (!users_.add(email)) {
            throw ce::usage_error(email + " is already registered");
        }
        mail_.send(email, "Welcome to the shop!");
    }

private:
    user_store& users_;  // references: the service uses its parts, it does not own them
    mailer& mail_;
};
// [constructor-injection]

// [adapters]
// The real parts. An SMTP client in production; here it writes to any ostream.
class smtp_mailer final : public mailer {
public:
    explicit smtp_mailer(std::ostream& wire) : wire_(wire) {}
    void send(const std::string& to, const std::string& body) override {
        wire_ << "RCPT TO:<" << to << ">\nDATA\n" << body << "\n.\n";
    }

private:
    std::ostream& wire_;
};

class memory_user_store final : public user_store {
public:
    bool add(const std::string& email) override { return emails_.insert(email).second; }

private:
    std::set<std::string> emails_;
};
// [adapters]

// [composition-root]
// The composition root: the one place that names concrete types (Python: the app
// factory, or main). Members are built in declaration order, so dependencies come first
// and are destroyed last.
class application {
public:
    explicit application(std::ostream& smtp_wire) : mail_(smtp_wire), signups_(users_, mail_) {}

    signup_service& signups() noexcept { return signups_; }

private:
    memory_user_store users_;
    smtp_mailer mail_;
    signup_service signups_;
};
// [composition-root]

// [static-injection]
// Static injection: the requirements are concepts, the parts are template arguments.
// The calls are resolved at compile time and can be inlined; no interface is needed.
template <class M>
concept mail_sender = requires(M& m, const std::string& text) { m.send(text, text); };

template <class S>
concept user_repository = requires(S& s, const std::string& email) {
    { s.add(email) } -> std::same_as<bool>;
};

template <user_repository Users, mail_sender Mail>
class basic_signup_service {
public:
    basic_signup_service(Users& users, Mail& mail) : users_(users), mail_(mail) {}

    void sign_up(const std::string& email) {
        if (!users_.add(email)) {
            throw ce::usage_error(email + " is already registered");
        }
        mail_.send(email, "Welcome to the shop!");
    }

private:
    Users& users_;
    Mail& mail_;
};
// [static-injection]

// [container-wiring]
// The same wiring through ce::container, for graphs chosen at run time.
void register_production(ce::container& c, std::ostream& smtp_wire) {
    c.singleton<user_store>([](ce::container&) { return std::make_shared<memory_user_store>(); });
    c.singleton<mailer>([&smtp_wire](ce::container&) {
        return std::make_shared<smtp_mailer>(smtp_wire);
    });
    c.transient<signup_service>([](ce::container& deps) {
        // References into singletons: the container must outlive the services it makes.
        return std::make_shared<signup_service>(*deps.resolve<user_store>(), *deps.resolve<mailer>());
    });
}
// [container-wiring]

}  // namespace shop

namespace fakes {

// [fakes]
// Test doubles live with the tests. Production code is not edited to admit them.
class recording_mailer final : public shop::mailer {
public:
    void send(const std::string& to, const std::string& body) override {
        sent.push_back(to + ": " + body);
    }
    std::vector<std::string> sent;
};

class full_store final : public shop::user_store {  // every address is taken
public:
    bool add(const std::string&) override { return false; }
};
// [fakes]

// [static-fakes]
// For static injection a fake is any type with the right members: no base class.
struct outbox {
    std::vector<std::string> sent;
    void send(const std::string& to, const std::string&) { sent.push_back(to); }
};

struct email_set {
    std::set<std::string> emails;
    bool add(const std::string& email) { return emails.insert(email).second; }
};
// [static-fakes]

}  // namespace fakes

namespace auth {

struct token_cache;

// [cycle-types]
// A cycle nobody meant: the session store caches tokens, the cache validates sessions.
struct session_store {
    explicit session_store(std::shared_ptr<token_cache> tokens) : tokens_(std::move(tokens)) {}
    std::shared_ptr<token_cache> tokens_;
};

struct token_cache {
    explicit token_cache(std::shared_ptr<session_store> sessions) : sessions_(std::move(sessions)) {}
    std::shared_ptr<session_store> sessions_;
};
// [cycle-types]

}  // namespace auth

TEST_CASE("the composition root wires the real parts") {
    // [run-application]
    std::ostringstream smtp_wire;
    shop::application app(smtp_wire);
    app.signups().sign_up("ada@example.com");
    // [run-application]
    // [application-output]
    constexpr std::string_view sent = R"(
RCPT TO:<ada@example.com>
DATA
Welcome to the shop!
.
)";
    // [application-output]
    CHECK(smtp_wire.str() == sent.substr(1));
}

TEST_CASE("fakes replace the real parts without editing the service") {
    // [use-fakes]
    fakes::recording_mailer mail;
    shop::memory_user_store users;  // a real part and a fake mix freely
    shop::signup_service service(users, mail);

    service.sign_up("ada@example.com");
    CHECK_THROWS_WITH_AS(service.sign_up("ada@example.com"),
                         "ada@example.com is already registered", ce::usage_error);
    CHECK(mail.sent == std::vector<std::string>{"ada@example.com: Welcome to the shop!"});

    fakes::full_store full;
    shop::signup_service refusing(full, mail);
    CHECK_THROWS_AS(refusing.sign_up("bob@example.com"), ce::usage_error);
    CHECK(mail.sent.size() == 1);  // nothing sent for a refused signup
    // [use-fakes]
}

TEST_CASE("static injection has no virtual functions anywhere in the graph") {
    // [no-virtual-calls]
    using service = shop::basic_signup_service<fakes::email_set, fakes::outbox>;
    static_assert(!std::is_polymorphic_v<service>);  // no vtable pointer ...
    static_assert(!std::is_polymorphic_v<fakes::email_set>);  // ... in the service
    static_assert(!std::is_polymorphic_v<fakes::outbox>);     // or in its parts:
    static_assert(sizeof(service) == 2 * sizeof(void*));      // two references, nothing else
    static_assert(std::is_polymorphic_v<shop::mailer>);  // the dynamic port has one

    static_assert(shop::mail_sender<fakes::outbox>);
    static_assert(!shop::mail_sender<fakes::email_set>);  // no send(): rejected

    fakes::email_set users;
    fakes::outbox mail;
    service signups(users, mail);
    signups.sign_up("ada@example.com");
    CHECK(mail.sent == std::vector<std::string>{"ada@example.com"});
    // [no-virtual-calls]
}

TEST_CASE("the concept-constrained service also accepts the dynamic ports") {
    std::ostringstream wire;
    shop::smtp_mailer mail(wire);
    shop::memory_user_store users;
    shop::basic_signup_service<shop::user_store, shop::mailer> service(users, mail);
    service.sign_up("ada@example.com");
    CHECK(wire.str().starts_with("RCPT TO:<ada@example.com>"));
}

TEST_CASE("a singleton is made once and shared, a transient is made per resolve") {
    // [lifetimes]
    std::ostringstream smtp_wire;
    ce::container c;
    shop::register_production(c, smtp_wire);

    std::shared_ptr<shop::signup_service> first = c.resolve<shop::signup_service>();
    std::shared_ptr<shop::signup_service> second = c.resolve<shop::signup_service>();
    CHECK(first != second);  // transient: one per resolve
    CHECK(c.resolve<shop::mailer>() == c.resolve<shop::mailer>());  // singleton: shared

    first->sign_up("ada@example.com");  // both services share the one user store
    CHECK_THROWS_AS(second->sign_up("ada@example.com"), ce::usage_error);
    // [lifetimes]
}

TEST_CASE("a factory runs once for a singleton and on every resolve for a transient") {
    // [factory-calls]
    int singletons_made = 0;
    int transients_made = 0;
    ce::container c;
    c.singleton<fakes::outbox>([&](ce::container&) {
        ++singletons_made;
        return std::make_shared<fakes::outbox>();
    });
    c.transient<fakes::email_set>([&](ce::container&) {
        ++transients_made;
        return std::make_unique<fakes::email_set>();  // a unique_ptr is accepted too
    });
    for (int i = 0; i < 3; ++i) {
        (void)c.resolve<fakes::outbox>();
        (void)c.resolve<fakes::email_set>();
    }
    CHECK(singletons_made == 1);
    CHECK(transients_made == 3);
    // [factory-calls]
}

TEST_CASE("a factory that returns null is an error, not an empty singleton") {
    // [null-factory]
    int calls = 0;
    ce::container c;
    c.singleton<fakes::outbox>([&calls](ce::container&) {
        ++calls;
        return std::shared_ptr<fakes::outbox>();  // say, a plugin lookup that found nothing
    });
    for (int attempt = 0; attempt < 2; ++attempt) {
        CHECK_THROWS_WITH_AS((void)c.resolve<fakes::outbox>(),
                             "ce::container: the factory for fakes::outbox returned null", ce::usage_error);
    }
    CHECK(calls == 2);  // nothing was cached: a fixed registration is picked up next time
    // [null-factory]
    c.transient<fakes::email_set>([](ce::container&) { return std::unique_ptr<fakes::email_set>(); });
    CHECK_THROWS_AS((void)c.resolve<fakes::email_set>(), ce::usage_error);
    c.singleton<fakes::outbox>([](ce::container&) { return std::make_shared<fakes::outbox>(); });
    CHECK(c.resolve<fakes::outbox>() != nullptr);
}

TEST_CASE("a test overrides one registration, like FastAPI's dependency_overrides") {
    // [container-override]
    std::ostringstream smtp_wire;
    ce::container c;
    shop::register_production(c, smtp_wire);

    auto mail = std::make_shared<fakes::recording_mailer>();
    c.singleton<shop::mailer>([mail](ce::container&) { return mail; });  // replaces the SMTP one

    c.resolve<shop::signup_service>()->sign_up("ada@example.com");
    CHECK(mail->sent.size() == 1);
    CHECK(smtp_wire.str().empty());  // the real mailer was never made
    // [container-override]
}

TEST_CASE("a dependency cycle is reported with the whole cycle") {
    // [cycle]
    ce::container c;
    c.singleton<auth::session_store>([](ce::container& deps) {
        return std::make_shared<auth::session_store>(deps.resolve<auth::token_cache>());
    });
    c.singleton<auth::token_cache>([](ce::container& deps) {
        return std::make_shared<auth::token_cache>(deps.resolve<auth::session_store>());
    });
    CHECK_THROWS_WITH_AS(
        (void)c.resolve<auth::session_store>(),
        "ce::container: dependency cycle: auth::session_store -> auth::token_cache -> auth::session_store",
        ce::usage_error);
    // [cycle]
    // The failed resolve left nothing half-made behind.
    CHECK_THROWS_WITH_AS((void)c.resolve<auth::token_cache>(),
                         "ce::container: dependency cycle: auth::token_cache -> auth::session_store "
                         "-> auth::token_cache",
                         ce::usage_error);
}

TEST_CASE("resolving an unregistered type names the type") {
    ce::container c;
    CHECK_THROWS_WITH_AS((void)c.resolve<shop::mailer>(), "ce::container: nothing registered for shop::mailer",
                         ce::usage_error);
}

namespace {

struct destruction_log {
    std::vector<std::string>* log;
    std::string name;
    destruction_log(std::vector<std::string>* l, std::string n) : log(l), name(std::move(n)) {}
    destruction_log(const destruction_log&) = delete;
    destruction_log& operator=(const destruction_log&) = delete;
    destruction_log(destruction_log&&) = delete;
    destruction_log& operator=(destruction_log&&) = delete;
    ~destruction_log() { log->push_back(name); }
};

struct first_made : destruction_log {
    using destruction_log::destruction_log;
};
struct second_made : destruction_log {
    using destruction_log::destruction_log;
};

}  // namespace

TEST_CASE("singletons are destroyed in the reverse order of their creation") {
    std::vector<std::string> log;
    {
        ce::container c;
        c.singleton<second_made>([&](ce::container&) { return std::make_shared<second_made>(&log, "second"); });
        c.singleton<first_made>([&](ce::container&) { return std::make_shared<first_made>(&log, "first"); });
        (void)c.resolve<first_made>();
        (void)c.resolve<second_made>();
    }
    CHECK(log == std::vector<std::string>{"second", "first"});
}

TEST_CASE("a factory that throws leaves the container usable") {
    ce::container c;
    bool fail = true;
    c.singleton<fakes::outbox>([&](ce::container&) {
        if (fail) {
            throw ce::transient_error("smtp server down");
        }
        return std::make_shared<fakes::outbox>();
    });
    CHECK_THROWS_AS((void)c.resolve<fakes::outbox>(), ce::transient_error);
    fail = false;
    CHECK(c.resolve<fakes::outbox>() != nullptr);  // not reported as a cycle
}
