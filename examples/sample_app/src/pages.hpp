// The sample web app's pages, mirroring the spec: profile, emails, todos, dashboard, fan-out,
// blobs, send mail (a handler that handles its own consent), live todos, and the user's claims.
#pragma once

#include "onbehalf/actors/host.hpp"

#include <string>

namespace onbehalf::sample {

/// Adds every page; `blob_endpoint` (Sample:BlobEndpoint) is Azure Storage's blob service, empty when none.
void add_pages(actors::host& h, const std::string& blob_endpoint);

} // namespace onbehalf::sample
