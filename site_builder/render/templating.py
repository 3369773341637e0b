"""The jinja2 environment that renders the templates (where they come from: `templatedirs`)."""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from collections.abc import Callable, Iterable, MutableMapping
from datetime import datetime
from keyword import iskeyword
from pathlib import Path
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.nodes
from jinja2.loaders import split_template_path
from markupsafe import escape

from . import deps, i18n
from .templatedirs import read_template, template_files
from .urls import outbound


def _date(value: datetime, fmt: str = "%-d %B %Y") -> str:
    """A date or time in the language of the page (a strftime format names the parts)."""
    return i18n.format_value(value, fmt)


class _Language:
    """`{{ language }}`: the code of the language the page is rendered in."""

    def __str__(self) -> str:
        return i18n.current().code

    def __html__(self) -> str:
        return str(escape(str(self)))


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


_DIRECT = frozenset({"_", "gettext", "ngettext", "asset"})
"""The globals below (plain functions) that templates call straight, not through
`Context.call`, which looks for context arguments on every call: 2.5 µs of 4.8 per label,
and a page shows dozens (a cold build of 10,000 projects calls them 720,000 times)."""


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Compiles `_("Label", n=x)` into a plain call of the label function (see `_DIRECT`)."""

    def visit_Call(
        self, node: jinja2.nodes.Call, frame: jinja2.compiler.Frame, forward_caller: bool = False
    ) -> None:
        direct = (
            isinstance(node.node, jinja2.nodes.Name)
            and node.node.name in _DIRECT
            and not forward_caller
            and node.dyn_args is None
            and node.dyn_kwargs is None
            and not self.environment.is_async
            and not self.environment.sandboxed
            and not any(iskeyword(k.key) for k in node.kwargs)
        )
        if not direct:
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        self.visit(node.node, frame)
        self.write("(")
        for i, arg in enumerate([*node.args, *node.kwargs]):
            self.write(", " if i else "")
            self.visit(arg, frame)
        self.write(")")


class RecordingEnvironment(jinja2.Environment):
    """Notes every template a render asks for, found or not (extends, includes and imports
    load through these too), so each output depends on the templates it used and on the
    absence of those it looked for first."""

    code_generator_class = _CodeGenerator

    def get_template(
        self,
        name: str | jinja2.Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        _note(name)
        return super().get_template(name, parent, globals)

    def select_template(
        self,
        names: Iterable[str | jinja2.Template],
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        names = list(names) if not isinstance(names, jinja2.runtime.Undefined) else names
        for name in names:
            _note(name)
        return super().select_template(names, parent, globals)


def _note(name: object) -> None:
    """Record a template by the name the loader looks it up under (`./a.html` is `a.html`)."""
    if isinstance(name, str):
        try:
            found = "/".join(split_template_path(name))
        except jinja2.TemplateNotFound:
            return  # a name reaching outside the folder: the loader refuses it too
        deps.read(deps.key("template", found))


def make_env(dirs: list[Path]) -> jinja2.Environment:
    """A jinja2 environment over `dirs` (first match wins), autoescaping HTML and XML."""
    env = RecordingEnvironment(
        loader=TemplateLoader(dirs),
        autoescape=jinja2.select_autoescape(["html", "xml", "htm", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
        cache_size=-1,
    )
    env.bytecode_cache = CompiledTemplates.for_env(env)
    # Labels are written `{{ _("Label") }}`, in the language of the render in progress.
    env.globals["_"] = env.globals["gettext"] = i18n.template_gettext
    env.globals["ngettext"] = i18n.template_ngettext
    env.globals["language"] = _Language()
    env.filters["date"] = _date
    env.filters["iso"] = _iso
    env.filters["outbound"] = outbound
    from .assets import AssetLinks
    from .slideviews import deck_labels
    from .views import kind_label, live_labels

    env.globals["asset"] = AssetLinks(dirs)
    env.globals["kind_label"] = kind_label
    env.globals["live_labels"] = live_labels
    env.globals["deck_labels"] = deck_labels
    return env


class CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Templates compiled by an earlier process, kept in the user's own cache folder
    (jinja2's default: made mode 0700 and checked to belong to the user, as the files are
    code). Spares a new process, such as `jamdat build` after one edit, compiling them again.
    Each file is checked against its template's source; a file that cannot be read or
    written only means the template is compiled, as without this cache."""

    @classmethod
    def for_env(cls, env: jinja2.Environment) -> CompiledTemplates | None:
        """The cache for `env`'s settings (they shape the compiled code), or None when no
        private folder can be had."""
        settings = hashlib.blake2b(digest_size=8)
        for name in _COMPILE_SETTINGS:
            settings.update(repr(getattr(env, name)).encode())
        settings.update(jinja2.__version__.encode())
        settings.update(Path(__file__).read_bytes())  # the code generator's own code
        try:
            return cls(pattern=f"jamdat-{settings.hexdigest()}-%s.cache")
        except (OSError, RuntimeError):
            return None

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()  # a damaged file: the template is compiled and the file replaced

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        # A full or read-only disk: the next process compiles the template again.
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


_COMPILE_SETTINGS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
    "extensions",
)
"""The settings of an environment that change the code its templates compile to."""


_ENVIRONMENTS: dict[tuple[str, ...], jinja2.Environment] = {}


def environment(dirs: list[Path], templates: str) -> jinja2.Environment:
    """The environment for `dirs` whose templates digest to `templates`: compiled once per
    process (a third of a small site's build), whichever session asks."""
    key = (templates, *map(str, dirs))
    env = _ENVIRONMENTS.get(key)
    if env is None:
        if len(_ENVIRONMENTS) >= 4:
            _ENVIRONMENTS.clear()
        env = _ENVIRONMENTS[key] = make_env(dirs)
    return env


class TemplateFiles:
    """Digests of the templates and assets of `dirs` by name ("-" for a name none holds),
    each file read once per build: for the sources pages record, and for the digest of
    them all that keys the compiled environment."""

    def __init__(self, dirs: list[Path]) -> None:
        self._files = template_files(dirs)
        self._found: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        found = self._found.get(name)
        if found is None:
            folder = self._files.get(name)
            data = read_template(folder, name) if folder is not None else None
            found = "-" if data is None else hashlib.blake2b(data, digest_size=16).hexdigest()
            self._found[name] = found
        return found

    def digest(self) -> str:
        """One digest of every file's name and bytes."""
        text = "\n".join(f"{name}\0{self(name)}" for name in self._files)
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class TemplateLoader(jinja2.BaseLoader):
    """Templates from the first folder holding them, read without following links (jinja2's
    FileSystemLoader follows them)."""

    def __init__(self, dirs: list[Path]) -> None:
        self.dirs = dirs

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        name = "/".join(split_template_path(template))
        for directory in self.dirs:
            try:
                data = read_template(directory, name)
            except (FileNotFoundError, IsADirectoryError):
                continue
            return data.decode("utf-8"), str(directory / name), lambda: True
        raise jinja2.TemplateNotFound(template)
