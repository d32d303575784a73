// Copyright onnxedge authors.
#include "ir/onnx/wire_check.h"

#include <map>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace onnxedge::onnx_io {

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

const char* WireTypeName(uint32_t wire) {
  switch (wire) {
    case kVarint: return "varint";
    case kFixed64: return "fixed64";
    case kLengthDelimited: return "length-delimited";
    case kStartGroup: return "start-group";
    case kEndGroup: return "end-group";
    case kFixed32: return "fixed32";
    default: return "invalid";
  }
}

// The wire type a non-packed value of this field uses.
uint32_t NaturalWireType(const FieldDescriptor* fd) {
  switch (fd->type()) {
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64: return kFixed64;
    case FieldDescriptor::TYPE_FLOAT:
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32: return kFixed32;
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
    case FieldDescriptor::TYPE_MESSAGE: return kLengthDelimited;
    case FieldDescriptor::TYPE_GROUP: return kStartGroup;
    default: return kVarint;
  }
}

bool ReadVarint(const uint8_t* data, size_t end, size_t* pos, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*pos >= end) return false;
    const uint8_t b = data[(*pos)++];
    if (shift == 63 && b > 1) return false;  // More than 64 bits.
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

struct Frame {
  const Descriptor* desc;
  size_t end;
  const FieldDescriptor* via;  // Field of the parent holding this message (null for the root).
};

class Checker {
 public:
  Checker(const uint8_t* data, size_t size, const Descriptor* root) : data_(data), size_(size) {
    stack_.push_back({root, size, nullptr});
    result_.structure_bytes = MessageBytes(root);
  }

  StatusOr<WireCheckResult> Run() {
    while (true) {
      while (stack_.size() > 1 && pos_ == stack_.back().end) stack_.pop_back();
      if (stack_.size() == 1 && pos_ == size_) return result_;
      OE_RETURN_IF_ERROR(Field());
    }
  }

 private:
  // Heap bytes of one parsed message of this type, cached per type.
  uint64_t MessageBytes(const Descriptor* desc) {
    auto it = sizes_.find(desc);
    if (it != sizes_.end()) return it->second;
    const auto* proto =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(desc);
    const uint64_t bytes = proto ? static_cast<uint64_t>(proto->SpaceUsedLong()) : 64;
    sizes_[desc] = bytes;
    return bytes;
  }

  // Tensor payloads are counted apart from the structure (see WireCheckResult).
  void Charge(const Frame& frame, const FieldDescriptor* fd, uint64_t bytes) {
    if (frame.desc->full_name() == "onnx.TensorProto" && fd->name() != "dims" &&
        fd->name() != "name" && fd->name() != "doc_string") {
      result_.payload_bytes += bytes;
    } else {
      result_.structure_bytes += bytes;
    }
  }

  // "graph.node.attribute.g" for the open messages (+ `field`), eliding the middle of long paths.
  std::string Path(const FieldDescriptor* field) const {
    std::vector<std::string> parts;
    for (size_t i = 1; i < stack_.size(); ++i) parts.push_back(stack_[i].via->name());
    if (field) parts.push_back(field->name());
    std::string out;
    constexpr size_t kHead = 8, kTail = 4;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (parts.size() > kHead + kTail + 1 && i == kHead) {
        out += ".(" + std::to_string(parts.size() - kHead - kTail) + " more)";
        i = parts.size() - kTail - 1;
        continue;
      }
      if (!out.empty()) out += ".";
      out += parts[i];
    }
    return out.empty() ? stack_.front().desc->name() : out;
  }

  Status Error(size_t at, const FieldDescriptor* field, const std::string& what) const {
    return MakeError(StatusCode::kInvalidModel, "not a valid ONNX model: ", what, " (at byte ",
                     at, ", in ", stack_.front().desc->name(),
                     stack_.size() > 1 || field ? " field " : "",
                     stack_.size() > 1 || field ? Path(field) : "", ")");
  }

  Status Field() {
    const Frame& frame = stack_.back();
    const size_t start = pos_;
    uint64_t tag = 0;
    if (!ReadVarint(data_, frame.end, &pos_, &tag)) {
      return Error(start, nullptr, pos_ >= frame.end ? "truncated field tag" : "bad varint in "
                                                                                "field tag");
    }
    const uint32_t wire = static_cast<uint32_t>(tag & 7);
    const uint64_t number = tag >> 3;
    if (number == 0 || number > 536870911) {
      return Error(start, nullptr, "invalid field number " + std::to_string(number));
    }
    if (wire == kStartGroup || wire == kEndGroup) {
      return Error(start, nullptr, "field " + std::to_string(number) +
                                       " uses the group wire type, which ONNX does not use");
    }
    if (wire > kFixed32) {
      return Error(start, nullptr, "invalid wire type " + std::to_string(wire) + " for field " +
                                       std::to_string(number));
    }
    const FieldDescriptor* fd = frame.desc->FindFieldByNumber(static_cast<int>(number));
    if (fd) {
      const uint32_t natural = NaturalWireType(fd);
      const bool packed_ok = fd->is_repeated() && wire == kLengthDelimited &&
                             natural != kLengthDelimited && natural != kStartGroup;
      if (wire != natural && !packed_ok) {
        return Error(start, fd, std::string("wire type ") + WireTypeName(wire) +
                                    ", but the field is " + fd->type_name() + " (" +
                                    WireTypeName(natural) + ")");
      }
    }
    switch (wire) {
      case kVarint: {
        uint64_t v = 0;
        if (!ReadVarint(data_, frame.end, &pos_, &v)) {
          return Error(start, fd, pos_ >= frame.end ? "truncated varint" : "bad varint");
        }
        if (fd && fd->type() == FieldDescriptor::TYPE_ENUM &&
            !fd->enum_type()->FindValueByNumber(static_cast<int>(static_cast<int32_t>(v)))) {
          return Error(start, fd, "unknown value " + std::to_string(static_cast<int64_t>(v)) +
                                      " of enum " + fd->enum_type()->name());
        }
        if (fd && fd->is_repeated()) Charge(frame, fd, 8);
        return Status::Ok();
      }
      case kFixed64:
      case kFixed32: {
        const size_t n = wire == kFixed64 ? 8 : 4;
        if (frame.end - pos_ < n) return Error(start, fd, "truncated fixed-size value");
        pos_ += n;
        if (fd && fd->is_repeated()) Charge(frame, fd, 8);
        return Status::Ok();
      }
      default: break;
    }
    // Length-delimited.
    uint64_t len = 0;
    if (!ReadVarint(data_, frame.end, &pos_, &len)) {
      return Error(start, fd, pos_ >= frame.end ? "truncated length" : "bad varint in length");
    }
    if (len > frame.end - pos_) {
      return Error(start, fd, "truncated: the field claims " + std::to_string(len) +
                                  " bytes but only " + std::to_string(frame.end - pos_) +
                                  " remain in the enclosing message");
    }
    const size_t body = pos_;
    const size_t body_end = pos_ + static_cast<size_t>(len);
    if (!fd) {
      pos_ = body_end;  // Unknown field (for example from a newer ONNX): kept as bytes.
      result_.structure_bytes += len;
      return Status::Ok();
    }
    if (fd->type() == FieldDescriptor::TYPE_MESSAGE) {
      if (static_cast<int>(stack_.size()) > kMaxMessageNesting) {
        return Error(start, fd, "messages are nested deeper than " +
                                    std::to_string(kMaxMessageNesting) + " levels");
      }
      result_.structure_bytes += MessageBytes(fd->message_type()) + 8;
      stack_.push_back({fd->message_type(), body_end, fd});
      return Status::Ok();
    }
    pos_ = body_end;
    if (fd->type() == FieldDescriptor::TYPE_STRING || fd->type() == FieldDescriptor::TYPE_BYTES) {
      Charge(frame, fd, len + (fd->is_repeated() ? 40 : 0));
      return Status::Ok();
    }
    // A packed repeated scalar field.
    const uint32_t natural = NaturalWireType(fd);
    if (natural == kFixed32 || natural == kFixed64) {
      const size_t n = natural == kFixed64 ? 8 : 4;
      if (len % n != 0) {
        return Error(start, fd, "packed field of " + std::to_string(len) +
                                    " bytes is not a multiple of " + std::to_string(n));
      }
      Charge(frame, fd, len * 2);
      return Status::Ok();
    }
    size_t p = body;
    uint64_t count = 0;
    while (p < body_end) {
      uint64_t v = 0;
      if (!ReadVarint(data_, body_end, &p, &v)) {
        return Error(start, fd, "bad varint inside packed field");
      }
      if (fd->type() == FieldDescriptor::TYPE_ENUM &&
          !fd->enum_type()->FindValueByNumber(static_cast<int>(static_cast<int32_t>(v)))) {
        return Error(start, fd, "unknown value " + std::to_string(static_cast<int64_t>(v)) +
                                    " of enum " + fd->enum_type()->name());
      }
      ++count;
    }
    Charge(frame, fd, count * 8);
    return Status::Ok();
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::vector<Frame> stack_;
  std::map<const Descriptor*, uint64_t> sizes_;
  WireCheckResult result_;
};

}  // namespace

StatusOr<WireCheckResult> CheckWireFormat(const uint8_t* data, size_t size,
                                          const google::protobuf::Descriptor* root) {
  if (size == 0) return WireCheckResult{};
  return Checker(data, size, root).Run();
}

}  // namespace onnxedge::onnx_io
