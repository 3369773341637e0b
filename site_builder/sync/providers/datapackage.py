"""A Frictionless data package (any URL ending in `datapackage.json`): title, description,
licence and keywords; the README.md beside it, else its description and resources."""

from __future__ import annotations

from urllib.parse import SplitResult

from ..http import FetchError
from .base import Json, Metadata, Provider, Readme, Target, absolute_url, folder

_TEXT = "text/markdown, text/plain;q=0.9, */*;q=0.5"


class DataPackage(Provider):
    kind = "datapackage"
    anywhere = True

    def target(self, url: SplitResult) -> Target | None:
        if not url.path.lower().endswith("/datapackage.json"):
            return None
        address = url._replace(fragment="").geturl()
        return Target(address, url.hostname or self.host, address, address)

    async def _package(self, target: Target, meta: Metadata | None = None) -> tuple[Json, bool]:
        fetched = await self.fetch(target.url, meta)
        package = Json(fetched.json(), fetched.final_url)
        if not isinstance(package.value, dict) or not (
            package.has("name") or package.has("resources")
        ):
            raise FetchError(
                f"{package.url} is not a data package: expected an object with "
                "`name` or `resources`",
                package.url,
            )
        return package, fetched.not_modified

    async def metadata(self, target: Target) -> Metadata:
        package, not_modified = await self._package(target)
        licenses = package.items("licenses")
        image = package.text("image")
        description = package.text("description")
        return Metadata(
            web_url=package.url,
            name=package.text("title") or package.text("name"),
            summary=description.split("\n\n", 1)[0].strip() or package.text("title"),
            webpage_url=package.text("homepage"),
            image_url=absolute_url(package.url, image) if image else "",
            license=licenses[0].text("name") if licenses else "",
            tags=package.texts("keywords"),
            not_modified=not_modified,
        )

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        base = folder(meta.web_url)
        try:
            fetched = await self.fetch(base + "README.md", meta, accept=_TEXT)
        except FetchError as exc:
            if exc.status not in (404, 410):
                raise
            package, _ = await self._package(target, meta)
            return described(package, base)
        return Readme(fetched.text(), folder(fetched.final_url), folder(fetched.final_url))


def described(package: Json, base: str) -> Readme | None:
    """A README made of the description and the list of resources, as Dribdat shows one."""
    blocks = [package.text("description")] if package.text("description") else []
    items = []
    for item in package.items("resources"):
        path = item.value.get("path") if isinstance(item.value, dict) else None
        name = item.text("title") or item.text("name") or (path if isinstance(path, str) else "")
        items.append(f"- [{name}]({path})" if isinstance(path, str) and path else f"- {name}")
    if items:
        blocks.append("### Resources\n\n" + "\n".join(items))
    return Readme("\n\n".join(blocks) + "\n", base, base) if blocks else None


PROVIDER = DataPackage
