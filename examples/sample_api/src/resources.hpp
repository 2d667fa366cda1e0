// What the sample API serves, as described structs the json/ mapping writes and reads: the
// caller's profile, todos, and Graph-shaped users and messages. Private to the sample API.
#pragma once

#include "onbehalf/json/mapping.hpp"

#include <boost/describe/class.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

// Their own namespace: contract.hpp has structs of the same names for the API's clients, and one
// program (the tests) holds both; two classes of one name would share one JSON mapping.
namespace onbehalf::sample_api::served {

// Graph and the sample API answer in camelCase.
struct camel_case_json {
  static std::string json_name(std::string_view member) { return json::camel_case(member); }
};

struct profile : camel_case_json {
  std::string id;
  std::string display_name;
  std::string user_principal_name;
  std::vector<std::string> scopes;
};
BOOST_DESCRIBE_STRUCT(profile, (), (id, display_name, user_principal_name, scopes))

struct todo : camel_case_json {
  std::int64_t id = 0;
  std::string title;
  bool done = false;
  std::string owner;
};
BOOST_DESCRIBE_STRUCT(todo, (), (id, title, done, owner))

/// What a client may send for a new or changed todo; absent members stay as they are (PATCH).
struct todo_change : camel_case_json {
  std::optional<std::string> title;
  std::optional<bool> done;
};
BOOST_DESCRIBE_STRUCT(todo_change, (), (title, done))

struct mail_address : camel_case_json {
  std::string name;
  std::string address;
};
BOOST_DESCRIBE_STRUCT(mail_address, (), (name, address))

struct recipient : camel_case_json {
  mail_address email_address;
};
BOOST_DESCRIBE_STRUCT(recipient, (), (email_address))

struct message : camel_case_json {
  std::string id;
  std::string subject;
  recipient from;
  std::string received_date_time;
  bool is_read = false;
  std::string body_preview;
};
BOOST_DESCRIBE_STRUCT(message, (), (id, subject, from, received_date_time, is_read, body_preview))

struct graph_user : camel_case_json {
  std::string id;
  std::string display_name;
  std::string user_principal_name;
  std::string mail;
  std::string job_title;
};
BOOST_DESCRIBE_STRUCT(graph_user, (), (id, display_name, user_principal_name, mail, job_title))

/// Todos by owner, in memory; ids are unique across owners.
class todo_store {
public:
  std::vector<todo> of(const std::string& owner) const;
  std::vector<todo> all() const;
  todo add(const std::string& owner, todo_change change);
  /// Applies a change to the owner's todo; nullopt when they have none with that id. An empty
  /// owner (an app with the ReadWrite.All role) may change anyone's.
  std::optional<todo> change(const std::string& owner, std::int64_t id, const todo_change& change);
  bool remove(const std::string& owner, std::int64_t id);

private:
  mutable std::mutex mutex_;
  std::map<std::int64_t, todo> todos_;
  std::int64_t next_id_ = 1;
};

/// The mailbox every user has: the same 23 messages, addressed to them.
std::vector<message> mailbox_of(const std::string& display_name, const std::string& address);

} // namespace onbehalf::sample_api::served
