"""Fixed colours for meanings (workflow states, trend lifecycle, check severity), the same on pages and in briefs."""

STATUS_COLOURS = {
    "draft": "#8d99ae",
    "in_review": "#edae49",
    "changes_requested": "#d1495b",
    "approved": "#2a9d8f",
    "scheduled": "#1f5f8b",
    "published": "#264653",
    "archived": "#adb5bd",
}
LIFECYCLE_COLOURS = {"emerging": "#d1495b", "peaking": "#edae49", "declining": "#00798c", "dormant": "#8d99ae"}
SEVERITY_COLOURS = {"error": "#c0392b", "warning": "#e67e22", "info": "#2980b9"}
