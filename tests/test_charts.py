"""Chart builders: valid Vega-Lite, the right fields, tooltips with quotes, both languages.

The builders write Vega-Lite specs as plain dicts; every spec is validated here against the
Vega-Lite JSON schema that ships with Altair. Pixels are left to the export and browser tests.
"""

import functools
import json

import altair as alt
import pandas as pd
import pytest
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema.core import load_schema
from jsonschema.exceptions import ValidationError

from metrics import charts, labels, queries
from metrics.store import Store

schema = functools.cache(load_schema)


def valid_spec(spec: dict) -> dict:
    """``spec``, after checking it against the Vega-Lite schema (raises ValidationError)."""
    validate_jsonschema(spec, schema())
    return spec


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    db = tmp_path_factory.mktemp("charts") / "charts.duckdb"
    Store(db).build()
    with Store(db).connect() as con:
        yield {
            "closures": queries.closures(con),
            "changes": queries.changes(con),
            "cases": queries.cases(con),
            "history": queries.closure_history(con),
        }


def layer_data(spec: dict) -> pd.DataFrame:
    """The rows a chart ships to the browser."""
    (values,) = spec["datasets"].values()
    return pd.DataFrame(values)


def tooltip_fields(spec: dict) -> set[str]:
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "tooltip" and isinstance(value, list):
                    found.update(item["field"] for item in value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    return found


def built(builder, frame, lang):
    return valid_spec(getattr(charts, builder)(frame, lang, "title"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_closure_chart_ranks_within_a_group_and_labels_rate_and_counts(frames, lang):
    df = labels.closures(frames["closures"], lang)
    # 天津's public requests and 内蒙古's suggestions (with its caveat) share one comparable group
    group = df[df.group_key == "public_requests_closure/closure_rate"]
    assert set(group.body_id) == {"tianjin", "inner_mongolia"}
    spec = built("closure_chart", group, lang)
    data = layer_data(spec)
    tianjin = data[data.body_id == "tianjin"]
    assert set(tianjin.part) == {"closed", "status_not_reported"}
    assert tianjin.set_index("part")["count"].to_dict() == {"closed": 621, "status_not_reported": 249}
    label = tianjin.closure_label.iloc[0]
    assert label.startswith("71.4%") and "621" in label and "870" in label
    bars = spec["layer"][0]
    assert bars["encoding"]["x"]["stack"] == "normalize"
    # sorted by rate: 天津 71.4% above 内蒙古 61.4%
    order = bars["encoding"]["y"]["sort"]
    inner_mongolia = data[data.body_id == "inner_mongolia"].row_label.iloc[0]
    assert order.index(tianjin.row_label.iloc[0]) < order.index(inner_mongolia)
    assert inner_mongolia.endswith(" ※")  # the caveat member is marked
    ranks = {"zh": ("第 1 / 2", "第 2 / 2"), "en": ("1 of 2", "2 of 2")}[lang]
    assert (tianjin.rank_label.iloc[0], data[data.body_id == "inner_mongolia"].rank_label.iloc[0]) == ranks
    assert "rank_label" in tooltip_fields(spec)
    assert "evidence" in tooltip_fields(spec)
    assert spec["params"][0]["name"] == charts.SELECTION


def test_closure_chart_keeps_every_graded_part(frames):
    df = labels.closures(frames["closures"], "zh")
    mca = df[df.body_id == "mca"]
    data = layer_data(built("closure_chart", mca, "zh"))
    assert data.set_index("part")["count"].to_dict() == {"closed": 14, "partly_closed": 26, "in_progress": 39}
    assert data.label_row.sum() == 1


def test_english_labels_are_english(frames):
    df = labels.closures(frames["closures"], "en")
    data = layer_data(built("closure_chart", df[df.body_id == "tianjin"], "en"))
    assert data.row_label.iloc[0].startswith("Tianjin")
    assert "621 of 870" in data.closure_label.iloc[0]
    assert "已完成" not in set(data.part_label) and "Closed" in set(data.part_label)


def test_change_chart_colours_by_good_direction(frames):
    df = labels.changes(frames["changes"], "zh")
    pct = df[df.change_pct.notna()]
    spec = built("change_chart", pct, "zh")
    data = layer_data(spec).set_index("body_id")
    assert data.loc["shanghai", "change_label"] == "-72.6%"  # (76 - 277) / 277, shown to one decimal
    assert set(data.direction_label) == {"向好"}  # every reported change went the good way
    colour = spec["layer"][0]["encoding"]["color"]["scale"]
    assert colour["domain"][0] == "向好" and colour["range"][0] == charts.GOOD


def test_dumbbell_has_before_and_after(frames):
    df = labels.changes(frames["changes"], "en")
    data = layer_data(built("dumbbell_chart", df.dropna(subset=["before", "after"]), "en"))
    assert sorted(data.amount) == [76, 277]
    assert set(data.when_label) == {"Before", "After"}


def spec_fields(spec: dict) -> set[str]:
    """Every field a spec draws, shows in a tooltip or selects on."""
    found = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("field"), str):
                found.add(node["field"])
            found.update(node.get("fields", []) if isinstance(node.get("fields"), list) else [])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({key: value for key, value in spec.items() if key != "datasets"})
    return found


def test_value_chart_ships_only_what_it_draws(frames):
    df = labels.values(frames["cases"], "zh")
    cases = df[df.group_key == "cases/count/item"]
    spec = built("value_chart", cases, "zh")
    data = layer_data(spec)
    assert len(data.columns) <= 9 and set(data.columns) <= spec_fields(spec)
    # 天津's four discipline cases; 水利部's 2018件 law-enforcement cases are another group
    assert sorted(data.value) == [80, 91, 125, 166]
    assert "166起" in set(data.value_label) and "2018件" not in set(data.value_label)
    assert {"evidence", "value_label", "rank_label"} <= tooltip_fields(spec)


def test_trend_chart_spec_is_valid(frames):
    df = labels.closures(frames["history"], "zh")
    spec = built("trend_chart", df, "zh")
    assert spec["encoding"]["y"]["field"] == "closure_rate"


def test_theme_carries_the_cjk_font(frames):
    spec = built("value_chart", labels.values(frames["cases"], "zh"), "zh")
    assert spec["config"]["font"].startswith(charts.FONT)


def test_an_invalid_spec_fails_validation(frames):
    """The validation the tests rely on does reject what Vega-Lite would not draw."""
    df = labels.closures(frames["closures"], "zh")
    spec = built("closure_chart", df[df.body_id == "tianjin"], "zh")
    bars = spec["layer"][0]
    broken = {
        **spec,
        "layer": [{**bars, "encoding": {**bars["encoding"], "x": {"field": "count", "type": "amount"}}}],
    }
    with pytest.raises(ValidationError):
        valid_spec(broken)
    with pytest.raises(ValidationError):
        valid_spec({**spec, "height": "tall"})


def json_only(node) -> bool:
    """Whether ``node`` holds nothing but what JSON holds (no Altair or NumPy objects)."""
    if isinstance(node, dict):
        return all(isinstance(k, str) and json_only(v) for k, v in node.items())
    if isinstance(node, list):
        return all(json_only(item) for item in node)
    return node is None or type(node) in (str, int, float, bool)


def test_builders_write_plain_json_specs(frames):
    """The builders write the spec themselves: a plain dict of JSON values, no Altair chart, for
    the schema version the tests validate against, with the data as one named dataset."""
    df = labels.closures(frames["closures"], "en")
    spec = built("closure_chart", df[df.group_key == "public_requests_closure/closure_rate"], "en")
    assert type(spec) is dict and not isinstance(spec, alt.TopLevelMixin)
    assert json_only(spec) and json.loads(json.dumps(spec)) == spec
    assert spec["$schema"] == alt.SCHEMA_URL
    (name,) = spec["datasets"]
    assert spec["data"] == {"name": name}
    # a click on a bar selects its body: the selection names the bars' layer
    assert spec["params"][0]["views"] == [spec["layer"][0]["name"]]


def test_missing_numbers_are_null_and_dates_iso():
    """Rows are shipped as Altair ships them: missing or infinite numbers as null, datetimes in
    ISO format (an unknown date as an empty string)."""
    frame = pd.DataFrame(
        {
            "row_label": ["a", "b", "c"],
            "as_of_date": pd.to_datetime(["2020-01-06", None, "2020-02-03"]),
            "as_of": ["2020-01-06", None, "2020-02-03"],
            "value": [1.5, float("nan"), float("inf")],
            "value_label": ["1.5", "–", "∞"],
            "event_label": [None, "x", None],
            "event_date": [None, "2020-01-01", None],
        }
    )
    spec = valid_spec(charts.progress_trends_chart(frame, "en"))
    (rows,) = spec["datasets"].values()
    assert [r["as_of_date"] for r in rows] == ["2020-01-06T00:00:00", "", "2020-02-03T00:00:00"]
    assert [r["value"] for r in rows] == [1.5, None, None]
    assert [r["as_of"] for r in rows] == ["2020-01-06", None, "2020-02-03"]
    assert json_only(spec)


@pytest.fixture(scope="module")
def group_frames(tmp_path_factory):
    db = tmp_path_factory.mktemp("group_charts") / "charts.duckdb"
    Store(db).build()
    with Store(db).connect() as con:
        yield {
            (name, by): getattr(queries, name)(con, queries.NO_FILTERS, by)
            for name in ("closure_groups", "case_groups", "change_groups")
            for by in ("kind", "region")
        }


GROUP_BUILDERS = [
    ("closure_groups", "closure_group_chart", labels.closure_groups),
    ("case_groups", "value_group_chart", labels.value_groups),
    ("change_groups", "change_group_chart", labels.change_groups),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("by", ["kind", "region"])
@pytest.mark.parametrize(("query", "builder", "label"), GROUP_BUILDERS)
def test_group_charts_are_valid_and_label_their_groups(group_frames, query, builder, label, by, lang):
    df = label(group_frames[(query, by)], by, lang)
    keys = ["group_key", "counter_family"] if query == "closure_groups" else ["group_key"]
    last = df[keys].iloc[-1]
    one = df[(df[keys] == last).all(axis=1)]  # one comparable group (and counter family)
    spec = valid_spec(getattr(charts, builder)(one, lang, "title", by=by))
    data = layer_data(spec)
    assert set(data.group_label) <= set(one.group_label) and len(data)
    assert {"group_label", "bodies", "measures"} <= tooltip_fields(spec)
    assert spec["config"]["font"].startswith(charts.FONT)
    clickable = [p for p in spec.get("params", []) if p["name"] == charts.SELECTION]
    assert len(clickable) == (1 if by == "kind" else 0)
    if by == "kind":
        assert clickable[0]["select"]["fields"] == ["group_id"]


def test_closure_group_chart_stacks_the_summed_parts(group_frames):
    df = labels.closure_groups(group_frames[("closure_groups", "region")], "region", "en")
    one = df[df.group_key == "inspection_feedback_closure/closure_rate"]
    data = layer_data(valid_spec(charts.closure_group_chart(one, "en", "title", by="region")))
    parts = data[data.group_label == "National / central"].set_index("part")["count"].to_dict()
    assert parts == {"closed": 14, "partly_closed": 26, "in_progress": 39}  # 民政部
    inner_mongolia = data[data.group_label == "Inner Mongolia"]
    assert inner_mongolia.closure_label.iloc[0] == "76.1% · 150 of 197 *"
