#include "onbehalf/actors/graph.hpp"

#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"

namespace onbehalf::actors::graph {

namespace {

struct messages_page {
  std::vector<message> value;
  std::optional<std::string> next_link;
  static std::string json_name(std::string_view member) { return member == "next_link" ? "@odata.nextLink" : std::string(member); }
};
BOOST_DESCRIBE_STRUCT(messages_page, (), (value, next_link))

struct send_mail_request : camel_case_members {
  outgoing_message message;
  bool save_to_sent_items = true;
};
BOOST_DESCRIBE_STRUCT(send_mail_request, (), (message, save_to_sent_items))

// The part of a next link after the API's BaseUrl; none when the link leads elsewhere.
std::optional<std::string> relative_to(std::string_view base_url, std::string_view link) {
  std::string base(base_url);
  while (base.ends_with('/')) base.pop_back();
  if (!link.starts_with(base + "/")) return std::nullopt;
  return std::string(link.substr(base.size() + 1));
}

constexpr int max_pages = 100;

} // namespace

task<call_result<user>> client::me(signed_in_user u) {
  return apis_.get_for_user<user>(std::move(u), api_, [](downstream_call_options& o) { o.relative_path = "me"; });
}

task<call_result<std::vector<message>>> client::me_messages(signed_in_user u, messages_query query) {
  std::vector<message> out;
  std::optional<std::string> next;
  for (int page = 0; page < max_pages && out.size() < query.top; ++page) {
    auto configure = [&](downstream_call_options& o) {
      if (next) {
        o.relative_path = *next;
        o.extra_query_parameters.clear();
        return;
      }
      o.relative_path = "me/messages";
      o.extra_query_parameters["$top"] = std::to_string(query.top);
      if (!query.select.empty()) o.extra_query_parameters["$select"] = text::join(query.select, ",");
      if (!query.filter.empty()) o.extra_query_parameters["$filter"] = query.filter;
    };
    auto answer = co_await apis_.get_for_user<messages_page>(u, api_, configure);
    if (!answer) co_return failure{std::move(answer.error())};
    for (auto& m : answer->value) {
      if (out.size() == query.top) break;
      out.push_back(std::move(m));
    }
    if (!answer->next_link) break;
    const auto* api = apis_.find(api_);
    next = api ? relative_to(api->base_url, *answer->next_link) : std::nullopt;
    if (!next) {
      log_warning("Graph's next page link leaves the API's BaseUrl; it is not followed", {{"api", api_}});
      break;
    }
  }
  co_return out;
}

task<call_result<void>> client::send_mail(signed_in_user u, outgoing_message m, bool save_to_sent_items) {
  send_mail_request request;
  request.message = std::move(m);
  request.save_to_sent_items = save_to_sent_items;
  return apis_.post_for_user<send_mail_request>(std::move(u), api_, request, [](downstream_call_options& o) { o.relative_path = "me/sendMail"; });
}

} // namespace onbehalf::actors::graph
