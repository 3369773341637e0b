"""Task lists: our one-pass rule gives the HTML mdit-py-plugins' (quadratic) rule gives."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.tasklists import tasklists_plugin
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from site_builder.render.markdown import render_markdown
from site_builder.render.tasklists import task_lists


def _parser(plugin: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return md.use(tasklists_plugin, enabled=False) if plugin else md.use(task_lists)


THEIRS, OURS = _parser(plugin=True), _parser(plugin=False)

_BOXES = [
    "[ ] ",
    "[x] ",
    "[X] ",
    "[ ]\t",
    "[X]\t",
    "[x]  ",
    "[ ]\n",
    "[X]\n",
    "[ ]",
    "[y] ",
    "[] ",
    "[ ] [x] ",
    "\\[ ] ",
    "",
]
_LINES = st.tuples(
    st.sampled_from(["", "", "  ", "    ", "      ", "> ", ">   "]),
    st.sampled_from(["- ", "* ", "+ ", "1. ", "2) ", "", "-\t"]),
    st.sampled_from(_BOXES),
    st.sampled_from(["x", "*a* b", "`c`", "[l](/u)", "[x]", "<b>h</b>", "", "# h"]),
    st.sampled_from(["\n", "\n", "\n\n", "\n    more\n"]),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_LINES, min_size=1, max_size=12), st.booleans())
def test_same_html_as_the_plugin(lines: list[tuple[str, ...]], ref: bool) -> None:
    text = "".join("".join(line) for line in lines)
    if ref:
        text += "\n[x]: /ref\n"
    assert OURS.render(text) == THEIRS.render(text), repr(text)


def test_nested_and_mixed_lists_as_the_plugin() -> None:
    text = (
        "- [ ] one\n- two\n  - [x] nested\n  - [X] nested too\n    1. [ ] deeper\n"
        "- [x]\n- [ ] x\n\n> - [ ] quoted\n\n1. [ ] a\n\n   para\n2. b\n"
    )
    html = OURS.render(text)
    assert html == THEIRS.render(text)
    tree = HTMLParser(html)
    assert len(tree.css("ul.contains-task-list, ol.contains-task-list")) == 5
    assert len(tree.css("li.task-list-item input[disabled][type=checkbox]")) == 7


def test_many_task_items_render_in_linear_time() -> None:
    """12,000 items (96 KB, beyond the text limit): the plugin took 24 s, we take 0.6."""
    start = time.process_time()
    html = OURS.render("- [ ] x\n" * 12_000)
    elapsed = time.process_time() - start
    assert elapsed < 3.0, f"12,000 task items: {elapsed:.1f} s"
    assert html.count('type="checkbox"') == 12_000


def test_the_site_renders_task_lists_with_disabled_checkboxes() -> None:
    tree = HTMLParser(render_markdown("- [x] done\n- [ ] to do\n- not a task"))
    assert len(tree.css("ul.contains-task-list > li.task-list-item")) == 2
    boxes = tree.css("li.task-list-item > input[type=checkbox][disabled]")
    assert [box.attributes.get("checked") for box in boxes] == ["checked", None]
