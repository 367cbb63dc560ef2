"""Browser smoke test of the built viewer against a running Scanroom (or any server with the same contract).

    .venv/bin/python frontend/e2e/viewer_smoke.py --base http://127.0.0.1:8000 \
        --user trainee --password trainee-demo-pass [--path /viewer/<study>/<series>] [--gpu]

Signs in (if --user is given), opens the viewer page (default: the first CT in /gallery), then checks:
first image rendered, left-drag changes W/L and the canvas pixels, presets, a length and an ellipse ROI
(with HU stats for CT), getAnnotations(), "Save annotations" and the round trip after a reload.
NOTE: saving REPLACES the signed-in user's annotations on that series. Uses Debian's /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from playwright.async_api import Page, async_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--enable-unsafe-swiftshader"]

CANVAS_DIGEST = """() => { const c = document.querySelector('#scanroom-viewer canvas');
  const t = document.createElement('canvas'); t.width = c.width; t.height = c.height;
  const x = t.getContext('2d'); x.drawImage(c, 0, 0);
  const d = x.getImageData(0, 0, c.width, c.height).data; let h = 0;
  for (let i = 0; i < d.length; i += 4) h = (h * 31 + d[i] + d[i + 1] * 7 + d[i + 2] * 13) >>> 0;
  return h; }"""

failures: list[str] = []


def check(ok: bool, message: str) -> None:
    print(("PASS " if ok else "FAIL ") + message)
    if not ok:
        failures.append(message)


async def drag(page: Page, x0: float, y0: float, x1: float, y1: float, steps: int = 8) -> None:
    await page.mouse.move(x0, y0)
    await page.mouse.down()
    for i in range(1, steps + 1):
        await page.mouse.move(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
    await page.mouse.up()
    await page.wait_for_timeout(250)


async def open_viewer(page: Page, url: str) -> None:
    await page.goto(url)
    await page.wait_for_function("window.scanroomViewer")
    await page.evaluate("scanroomViewer.ready")


async def run(base: str, user: str | None, password: str | None, path: str | None, gpu: bool) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = await browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("pageerror", lambda e: failures.append(f"page error: {e}"))
        if user:
            await page.goto(base + "/login")
            await page.fill("input[name=username]", user)
            await page.fill("input[name=password]", password or "")
            await page.click('form[action="/login"] [type=submit]')
            await page.wait_for_load_state("networkidle")
        if not path:
            await page.goto(base + "/gallery")
            hrefs = await page.eval_on_selector_all('a[href^="/viewer/"]', "els => els.map(e => e.getAttribute('href'))")
            check(bool(hrefs), f"gallery lists viewer links ({len(hrefs)})")
            path = hrefs[0]
            for h in hrefs:  # prefer a CT (HU stats)
                await open_viewer(page, base + h)
                if await page.evaluate("scanroomViewer.element.dataset.modality") == "CT":
                    path = h
                    break
        url = base + path + ("?cpu=0" if gpu else "")
        await open_viewer(page, url)
        modality = await page.evaluate("scanroomViewer.element.dataset.modality")
        print(f"viewer {path} modality={modality} renderer={'CPU' if await page.evaluate('scanroomViewer.isCpuRendering()') else 'GPU'}")
        # Start from a clean annotation set on this series.
        await page.evaluate("""() => fetch(scanroomViewer.element.dataset.annotationsUrl, {method: 'PUT',
            credentials: 'same-origin', headers: {'Content-Type': 'application/json',
            'X-CSRF-Token': document.querySelector('meta[name=csrf-token]')?.content ?? ''},
            body: JSON.stringify({annotations: []})})""")
        await open_viewer(page, url)

        box = await page.locator("#scanroom-viewer .sr-viewport").bounding_box()
        assert box
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        voi0 = await page.evaluate("scanroomViewer.getVOI()")
        digest0 = await page.evaluate(CANVAS_DIGEST)
        await drag(page, cx, cy, cx + 100, cy + 50)
        voi1 = await page.evaluate("scanroomViewer.getVOI()")
        digest1 = await page.evaluate(CANVAS_DIGEST)
        check(voi1 != voi0 and digest1 != digest0, f"left-drag window/level {voi0} -> {voi1}, canvas changed")

        presets = await page.evaluate("scanroomViewer.getPresets().map(p => p.id)")
        if modality == "CT":
            check("lung" in presets and "brain" in presets, f"CT presets {presets}")
            await page.evaluate("scanroomViewer.setPreset('lung')")
            v = await page.evaluate("scanroomViewer.getVOI()")
            check(round(v["windowWidth"]) == 1500 and round(v["windowCenter"]) == -600, f"lung preset -> {v}")
        else:
            check(presets in ([], ["default", "auto"]), f"non-CT presets {presets}")
        await page.evaluate("scanroomViewer.setPreset('default')")

        await page.locator("#scanroom-viewer .sr-frame").focus()
        await page.keyboard.press("l")
        await drag(page, cx - 120, cy - 100, cx + 120, cy - 100)
        await page.keyboard.press("e")
        await drag(page, cx - 40, cy - 30, cx + 40, cy + 30)
        await page.keyboard.press("w")
        await page.wait_for_timeout(300)
        anns = await page.evaluate("scanroomViewer.getAnnotations()")
        tools = sorted(a["tool"] for a in anns)
        check(tools == ["EllipticalROI", "Length"], f"annotations {tools}")
        roi = next((a for a in anns if a["tool"] == "EllipticalROI"), {})
        stats = roi.get("stats", {})
        check("mean" in stats and "stdDev" in stats, f"ROI stats {stats}")
        if modality == "CT":
            check(stats.get("modalityUnit") == "HU", "ROI stats in HU")

        await page.locator("#scanroom-viewer button[data-action=save]").click()
        await page.wait_for_timeout(800)
        status = await page.locator("#scanroom-viewer .sr-status").text_content()
        check(bool(status and status.startswith("Saved")), f"save status '{status}'")

        await open_viewer(page, url)
        await page.wait_for_timeout(300)
        again = await page.evaluate("scanroomViewer.getAnnotations()")
        key = lambda a: (a["tool"], [[round(v, 1) for v in pt] for pt in a["points_image"]])  # noqa: E731
        check(sorted(map(key, anns)) == sorted(map(key, again)), f"round trip after reload ({len(again)})")
        await page.screenshot(path="viewer-smoke.png")
        await browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--path", help="viewer page path, e.g. /viewer/<study>/<series>")
    ap.add_argument("--gpu", action="store_true", help="force the WebGL path (?cpu=0)")
    a = ap.parse_args()
    asyncio.run(run(a.base.rstrip("/"), a.user, a.password, a.path, a.gpu))
    print("screenshot: viewer-smoke.png")
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)


if __name__ == "__main__":
    main()
