// A typed helper for the part of Microsoft Graph web apps use most (MIW's AddMicrosoftGraph):
// the signed-in user and their messages, following @odata.nextLink paging. It calls through a
// named downstream API ("GraphAPI" by default: BaseUrl https://graph.microsoft.com/v1.0 and
// scopes such as user.read and mail.read), so consent, caching and challenges work as for any API.
#pragma once

#include "onbehalf/actors/downstream_api.hpp"

#include <boost/describe/class.hpp>

#include <optional>
#include <string>
#include <vector>

namespace onbehalf::actors::graph {

// Graph names its members in camelCase.
struct camel_case_members {
  static std::string json_name(std::string_view member) { return json::camel_case(member); }
};

struct user : camel_case_members {
  std::string id;
  std::string display_name;
  std::string user_principal_name;
  std::optional<std::string> mail;
  std::optional<std::string> job_title;
  std::optional<std::string> given_name;
  std::optional<std::string> surname;
};
BOOST_DESCRIBE_STRUCT(user, (), (id, display_name, user_principal_name, mail, job_title, given_name, surname))

struct email_address : camel_case_members {
  std::string name;
  std::string address;
};
BOOST_DESCRIBE_STRUCT(email_address, (), (name, address))

struct recipient : camel_case_members {
  graph::email_address email_address;
};
BOOST_DESCRIBE_STRUCT(recipient, (), (email_address))

struct message : camel_case_members {
  std::string id;
  std::optional<std::string> subject;
  std::optional<recipient> from;
  std::optional<std::string> received_date_time;
  std::optional<bool> is_read;
  std::optional<std::string> body_preview;
};
BOOST_DESCRIBE_STRUCT(message, (), (id, subject, from, received_date_time, is_read, body_preview))

struct item_body : camel_case_members {
  std::string content_type = "Text";
  std::string content;
};
BOOST_DESCRIBE_STRUCT(item_body, (), (content_type, content))

/// A message to send with send_mail.
struct outgoing_message : camel_case_members {
  std::string subject;
  item_body body;
  std::vector<recipient> to_recipients;
};
BOOST_DESCRIBE_STRUCT(outgoing_message, (), (subject, body, to_recipients))

struct messages_query {
  std::size_t top = 10;            // how many messages to return in all, across pages
  std::vector<std::string> select; // $select: only these members (and id)
  std::string filter;              // $filter, e.g. "isRead eq false"
};

class client {
public:
  explicit client(downstream_api& apis, std::string api_name = "GraphAPI") : apis_(apis), api_(std::move(api_name)) {}

  /// GET /me
  task<call_result<user>> me(signed_in_user u);
  /// GET /me/messages, following @odata.nextLink until `top` messages or the last page. A next
  /// link outside the API's BaseUrl is not followed: the user's token goes nowhere else.
  task<call_result<std::vector<message>>> me_messages(signed_in_user u, messages_query query);
  /// The latest messages. (An overload: g++ 12 frees a coroutine's default argument twice.)
  task<call_result<std::vector<message>>> me_messages(signed_in_user u) { return me_messages(std::move(u), messages_query{}); }
  /// POST /me/sendMail (needs Mail.Send)
  task<call_result<void>> send_mail(signed_in_user u, outgoing_message m, bool save_to_sent_items = true);

private:
  downstream_api& apis_;
  std::string api_;
};

} // namespace onbehalf::actors::graph
