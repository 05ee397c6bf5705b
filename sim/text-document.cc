#include "sim/text-document.h"

#include <algorithm>

#include <fmt/core.h>

#include "sim/svg-plot.h"

namespace mitmlab {
namespace {

// A table cell: pipes escaped, line breaks folded.
std::string md_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out.empty() ? " " : out;
}

std::string md_row(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const std::string& c : cells) out += " " + md_cell(c) + " |";
  return out + "\n";
}

constexpr std::string_view kStyle =
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.4}"
    "table{border-collapse:collapse;margin:0.5em 0 1em}"
    "th,td{border:1px solid #bbb;padding:3px 8px;text-align:left;vertical-align:top;font-size:0.92em}"
    "th{background:#eee}"
    "pre{background:#f6f6f6;border:1px solid #ddd;padding:0.6em;overflow-x:auto;font-size:0.85em}"
    "figure{margin:1em 0}figcaption{font-size:0.9em;color:#555}"
    "h1{font-size:1.6em}h2{font-size:1.3em;border-bottom:1px solid #ddd;margin-top:1.6em}h3{font-size:1.1em}";

}  // namespace

void TextDocument::heading(int level, std::string text) {
  blocks_.push_back({.kind = DocumentBlock::Kind::heading, .level = std::clamp(level, 1, 4), .text = std::move(text)});
}

void TextDocument::paragraph(std::string text) {
  blocks_.push_back({.kind = DocumentBlock::Kind::paragraph, .text = std::move(text)});
}

void TextDocument::table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows) {
  blocks_.push_back({.kind = DocumentBlock::Kind::table, .header = std::move(header), .rows = std::move(rows)});
}

void TextDocument::list(std::vector<std::string> items) {
  blocks_.push_back({.kind = DocumentBlock::Kind::list, .items = std::move(items)});
}

void TextDocument::preformatted(std::string text) {
  blocks_.push_back({.kind = DocumentBlock::Kind::preformatted, .text = std::move(text)});
}

void TextDocument::figure(std::string caption, std::string svg, std::string file) {
  blocks_.push_back(
      {.kind = DocumentBlock::Kind::figure, .text = std::move(caption), .svg = std::move(svg), .file = std::move(file)});
}

std::string TextDocument::markdown() const {
  std::string out;
  for (const DocumentBlock& b : blocks_) {
    switch (b.kind) {
      case DocumentBlock::Kind::heading: out += std::string(b.level, '#') + " " + b.text + "\n\n"; break;
      case DocumentBlock::Kind::paragraph: out += b.text + "\n\n"; break;
      case DocumentBlock::Kind::table:
        out += md_row(b.header);
        out += md_row(std::vector<std::string>(b.header.size(), "---"));
        for (const auto& row : b.rows) out += md_row(row);
        out += "\n";
        break;
      case DocumentBlock::Kind::list:
        for (const std::string& item : b.items) out += "- " + item + "\n";
        out += "\n";
        break;
      case DocumentBlock::Kind::preformatted: {
        std::string text = b.text;
        if (!text.empty() && text.back() != '\n') text += '\n';
        out += "```text\n" + text + "```\n\n";
        break;
      }
      case DocumentBlock::Kind::figure: out += fmt::format("![{}]({})\n\n", b.text, b.file); break;
    }
  }
  return out;
}

std::string TextDocument::html(const std::string& title) const {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n"
      "<style>{}</style>\n</head>\n<body>\n",
      xml_escape(title), kStyle);
  for (const DocumentBlock& b : blocks_) {
    switch (b.kind) {
      case DocumentBlock::Kind::heading: out += fmt::format("<h{0}>{1}</h{0}>\n", b.level, xml_escape(b.text)); break;
      case DocumentBlock::Kind::paragraph: out += "<p>" + xml_escape(b.text) + "</p>\n"; break;
      case DocumentBlock::Kind::table:
        out += "<table>\n<tr>";
        for (const std::string& h : b.header) out += "<th>" + xml_escape(h) + "</th>";
        out += "</tr>\n";
        for (const auto& row : b.rows) {
          out += "<tr>";
          for (const std::string& c : row) out += "<td>" + xml_escape(c) + "</td>";
          out += "</tr>\n";
        }
        out += "</table>\n";
        break;
      case DocumentBlock::Kind::list:
        out += "<ul>\n";
        for (const std::string& item : b.items) out += "<li>" + xml_escape(item) + "</li>\n";
        out += "</ul>\n";
        break;
      case DocumentBlock::Kind::preformatted: out += "<pre>" + xml_escape(b.text) + "</pre>\n"; break;
      case DocumentBlock::Kind::figure:
        out += "<figure>\n" + b.svg + "<figcaption>" + xml_escape(b.text) + "</figcaption>\n</figure>\n";
        break;
    }
  }
  return out + "</body>\n</html>\n";
}

}  // namespace mitmlab
