"""The garbage collector around the TUI's start-up.

Start-up makes objects that live as long as the app (modules, classes, styles, widgets): a
collection then walks them all and frees next to nothing. Collections during start-up cost
~15 ms of a ~0.2 s start (a full one fell just before the first frame), so the CLI holds the
collector before it imports Textual, and the app freezes what exists once the first frame is
drawn, then collects as usual. Frozen objects are never walked again; the few start-up cycles
that were garbage stay (a few hundred objects on the shop world).
"""

from __future__ import annotations

import gc

FULL_COLLECTION_EVERY = 100  # young collections between full ones (Python's default: 10)

_held = False
_first_frame_done = False
_startup_frozen = False


def hold_during_startup() -> None:
    """Before the TUI's imports: no collection until the first frame (first_frame_drawn)."""
    global _held
    if gc.isenabled():
        _held = True
        gc.disable()


def first_frame_drawn() -> None:
    """Once per process: freeze what start-up made, and collect again if start-up held it."""
    global _held, _first_frame_done
    if _first_frame_done:
        return
    _first_frame_done = True
    gc.freeze()
    if _held:
        _held = False
        gc.enable()


def freeze_startup_objects() -> None:
    """Once per process, when the first full poll is on screen: collect, then freeze what exists
    (Textual, the widgets, the first data), which lives as long as the app, so full collections
    never walk it again; and make them rarer. Each walks what the latest refreshes made (~20 ms
    on the 2,000-group world, ~100 ms before the freeze): with Python's defaults one falls in
    nearly every refresh that changes data, a pause any key press could wait for. Young garbage
    is still collected as often as before."""
    global _startup_frozen
    if _startup_frozen:
        return
    _startup_frozen = True
    first_frame_drawn()  # in case no frame was drawn yet: the collector runs from here on
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
