#include "interceptor/flow-table.h"

namespace mitmlab {

// Names used in event records and test messages; kept stable like the pass reasons.
std::string_view direction_name(FlowDirection direction) {
  return direction == FlowDirection::kClientToServer ? "client_to_server" : "server_to_client";
}

std::string_view insert_outcome_name(InsertOutcome outcome) {
  switch (outcome) {
    case InsertOutcome::kInserted:
      return "inserted";
    case InsertOutcome::kFull:
      return "full";
    case InsertOutcome::kExists:
      return "exists";
  }
  return "unknown";
}

}  // namespace mitmlab
