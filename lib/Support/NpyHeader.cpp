//===- NpyHeader.cpp - Parsing the header of a .npy file ------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The format: "\x93NUMPY", a version (major, minor), the header's length (2
// bytes little-endian in version 1, 4 in versions 2 and 3), then a Python
// dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces to a multiple of 64 bytes and ending in a newline.
//
// The dict is parsed by hand, without exceptions, as the small subset of
// Python literals numpy writes: string keys, a string, a bool and a tuple of
// integers. Every number is range-checked, so a hostile header is an error
// message, never an exception, an overflow or a huge allocation.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Support/Npy.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace ringattn {

const char *npyDTypeName(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::F32:
    return "float32";
  case NpyDType::F16:
    return "float16";
  case NpyDType::I32:
    return "int32";
  }
  return "?";
}

size_t npyElementSize(NpyDType dtype) { return dtype == NpyDType::F16 ? 2 : 4; }

const char *npyDescr(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::F32:
    return "<f4";
  case NpyDType::F16:
    return "<f2";
  case NpyDType::I32:
    return "<i4";
  }
  return "?";
}

namespace {

/// Real headers are about 128 bytes; numpy itself refuses more than 10,000
/// by default. A length beyond this is a corrupt or hostile file.
constexpr uint64_t maxHeaderBytes = 1 << 20;

/// A cursor over the header dict. Each parse step returns false after
/// setting `problem` to what it expected and where.
class DictParser {
public:
  DictParser(const char *begin, const char *end)
      : begin(begin), at(begin), end(end) {}

  std::string problem;

  void skipSpace() {
    while (at < end &&
           (*at == ' ' || *at == '\t' || *at == '\n' || *at == '\r'))
      ++at;
  }

  bool atEnd() const { return at == end; }

  /// Consumes `c` (after white space) if it is next.
  bool consume(char c) {
    skipSpace();
    if (at < end && *at == c) {
      ++at;
      return true;
    }
    return false;
  }

  bool expect(char c) {
    if (consume(c))
      return true;
    return fail(std::string("expected '") + c + "'");
  }

  /// A Python string literal in single or double quotes (numpy writes no
  /// escapes; a backslash is taken literally).
  bool parseString(std::string &text) {
    skipSpace();
    if (at == end || (*at != '\'' && *at != '"'))
      return fail("expected a quoted string");
    char quote = *at++;
    const char *close =
        static_cast<const char *>(std::memchr(at, quote, end - at));
    if (!close)
      return fail("unterminated string");
    text.assign(at, close);
    at = close + 1;
    return true;
  }

  bool parseBool(bool &value) {
    skipSpace();
    for (const char *word : {"True", "False"}) {
      size_t n = std::strlen(word);
      if (static_cast<size_t>(end - at) >= n && std::memcmp(at, word, n) == 0) {
        value = word[0] == 'T';
        at += n;
        return true;
      }
    }
    return fail("expected True or False");
  }

  /// A tuple of non-negative integers that each fit in int64.
  bool parseShape(std::vector<int64_t> &shape) {
    shape.clear();
    if (!expect('('))
      return false;
    if (consume(')'))
      return true; // a scalar
    for (;;) {
      int64_t dim;
      if (!parseDimension(shape.size(), dim))
        return false;
      shape.push_back(dim);
      if (consume(')'))
        return true;
      if (!expect(','))
        return false;
      if (consume(')'))
        return true;
    }
  }

  bool fail(const std::string &what) {
    problem =
        what + " at offset " + std::to_string(at - begin) + " of the header";
    return false;
  }

private:
  bool parseDimension(size_t index, int64_t &dim) {
    skipSpace();
    bool negative = at < end && *at == '-';
    if (negative)
      ++at;
    if (at == end || *at < '0' || *at > '9')
      return fail("expected a dimension (an integer)");
    const char *digits = at;
    uint64_t value = 0;
    bool overflow = false;
    for (; at < end && *at >= '0' && *at <= '9'; ++at) {
      uint64_t digit = static_cast<uint64_t>(*at - '0');
      if (value > (std::numeric_limits<int64_t>::max() - digit) / 10)
        overflow = true;
      else
        value = value * 10 + digit;
    }
    std::string text = (negative ? "-" : "") + std::string(digits, at);
    if (at < end && *at == 'L') // Python 2's numpy wrote longs as 3L
      ++at;
    std::string which = "dimension " + std::to_string(index) + " of the shape";
    if (overflow) {
      problem = which + " (" + text + ") does not fit in 64 bits";
      return false;
    }
    if (negative && value != 0) {
      problem = which + " is negative (" + text + ")";
      return false;
    }
    dim = static_cast<int64_t>(value);
    return true;
  }

  const char *begin, *at, *end;
};

/// The dict's three entries, each recorded as present or not.
struct HeaderDict {
  bool hasDescr = false, hasOrder = false, hasShape = false;
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

bool parseDict(const char *begin, const char *end, HeaderDict &dict,
               std::string &problem) {
  DictParser parser(begin, end);
  bool ok = parser.expect('{');
  while (ok && !parser.consume('}')) {
    std::string key;
    ok = parser.parseString(key) && parser.expect(':');
    if (!ok)
      break;
    bool *seen = key == "descr"           ? &dict.hasDescr
                 : key == "fortran_order" ? &dict.hasOrder
                 : key == "shape"         ? &dict.hasShape
                                          : nullptr;
    if (!seen)
      ok = parser.fail("unexpected key '" + key + "'");
    else if (*seen)
      ok = parser.fail("key '" + key + "' given twice");
    else if (key == "descr")
      ok = parser.parseString(dict.descr);
    else if (key == "fortran_order")
      ok = parser.parseBool(dict.fortranOrder);
    else
      ok = parser.parseShape(dict.shape);
    if (ok)
      *seen = true;
    if (ok && !parser.consume(',')) {
      ok = parser.expect('}');
      break;
    }
  }
  parser.skipSpace();
  if (ok && !parser.atEnd())
    ok = parser.fail("unexpected text after the dict");
  if (!ok)
    problem = "malformed .npy header: " + parser.problem;
  return ok;
}

/// Checks the dict's entries in the order a reader would want them fixed.
bool checkDict(const HeaderDict &dict, NpyHeader &header,
               std::string &problem) {
  if (!dict.hasDescr) {
    problem = ".npy header has no 'descr'";
    return false;
  }
  if (dict.descr == "<f4")
    header.dtype = NpyDType::F32;
  else if (dict.descr == "<f2")
    header.dtype = NpyDType::F16;
  else if (dict.descr == "<i4")
    header.dtype = NpyDType::I32;
  else {
    problem = "unsupported dtype '" + dict.descr +
              "' (RingAttn reads float32 '<f4', float16 '<f2' and int32 "
              "'<i4')";
    return false;
  }
  if (!dict.hasOrder) {
    problem = ".npy header has no 'fortran_order'";
    return false;
  }
  if (dict.fortranOrder) {
    problem = "Fortran-ordered arrays are not supported (save with "
              "numpy.ascontiguousarray)";
    return false;
  }
  if (!dict.hasShape) {
    problem = ".npy header has no 'shape'";
    return false;
  }
  header.shape = dict.shape;
  return true;
}

/// The data's size in bytes, or false if the element count or the byte
/// count does not fit in 64 bits.
bool dataSize(const NpyHeader &header, uint64_t &bytes, std::string &problem) {
  int64_t count = 1;
  for (int64_t dim : header.shape)
    if (__builtin_mul_overflow(count, dim, &count)) {
      problem = "the shape's element count overflows 64 bits";
      return false;
    }
  if (__builtin_mul_overflow(
          static_cast<uint64_t>(count),
          static_cast<uint64_t>(npyElementSize(header.dtype)), &bytes)) {
    problem = "the data size of " + std::to_string(count) +
              " elements overflows 64 bits";
    return false;
  }
  return true;
}

uint32_t littleEndian(const unsigned char *bytes, int n) {
  uint32_t value = 0;
  for (int i = n - 1; i >= 0; --i)
    value = value << 8 | bytes[i];
  return value;
}

} // namespace

bool parseNpyHeader(const char *bytes, size_t size, const std::string &name,
                    NpyHeader &header, std::string &error, bool *needMore) {
  if (needMore)
    *needMore = false;
  auto fail = [&](const std::string &problem) {
    error = name + ": " + problem;
    return false;
  };
  auto truncated = [&](uint64_t total) {
    header.dataOffset = total;
    if (needMore)
      *needMore = true;
    return fail("truncated .npy header");
  };
  const unsigned char *u = reinterpret_cast<const unsigned char *>(bytes);
  if (std::memcmp(bytes, "\x93NUMPY", std::min<size_t>(size, 6)) != 0)
    return fail("not a .npy file (bad magic)");
  if (size < 8)
    return truncated(12);
  int major = u[6];
  if (major < 1 || major > 3)
    return fail("unsupported .npy version " + std::to_string(major));
  int lengthBytes = major == 1 ? 2 : 4;
  uint64_t prefix = 8 + lengthBytes;
  if (size < prefix)
    return truncated(prefix);
  uint64_t headerLength = littleEndian(u + 8, lengthBytes);
  if (headerLength > maxHeaderBytes)
    return fail("header length " + std::to_string(headerLength) +
                " is beyond the " + std::to_string(maxHeaderBytes) +
                " bytes RingAttn reads (corrupt file?)");
  if (size < prefix + headerLength)
    return truncated(prefix + headerLength);

  HeaderDict dict;
  std::string problem;
  const char *dictBegin = bytes + prefix;
  if (!parseDict(dictBegin, dictBegin + headerLength, dict, problem) ||
      !checkDict(dict, header, problem) ||
      !dataSize(header, header.dataBytes, problem))
    return fail(problem);
  header.dataOffset = prefix + headerLength;
  return true;
}

} // namespace ringattn
