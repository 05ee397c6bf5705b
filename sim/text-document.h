// A document as a list of blocks (headings, paragraphs, tables, lists, preformatted text,
// figures), rendered either as Markdown or as one self-contained HTML page (inline CSS,
// inline SVG, no scripts, no external links). The run report builds one and renders both,
// so report.md and report.html say the same thing.
#pragma once

#include <string>
#include <vector>

namespace mitmlab {

struct DocumentBlock {
  enum class Kind { heading, paragraph, table, list, preformatted, figure };
  Kind kind = Kind::paragraph;
  int level = 2;                               // heading
  std::string text{};                          // heading, paragraph, preformatted; figure caption
  std::vector<std::string> header{};           // table
  std::vector<std::vector<std::string>> rows{};  // table
  std::vector<std::string> items{};            // list
  std::string svg{};                           // figure: inline in HTML
  std::string file{};                          // figure: the .svg file Markdown links to
};

class TextDocument {
 public:
  void heading(int level, std::string text);
  void paragraph(std::string text);
  void table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows);
  void list(std::vector<std::string> items);
  void preformatted(std::string text);
  // `file` is relative to the Markdown file (the caller writes the SVG there).
  void figure(std::string caption, std::string svg, std::string file);

  const std::vector<DocumentBlock>& blocks() const { return blocks_; }
  std::string markdown() const;
  std::string html(const std::string& title) const;

 private:
  std::vector<DocumentBlock> blocks_;
};

}  // namespace mitmlab
