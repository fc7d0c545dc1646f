import pytest

from prospect.errors import ConfigError
from prospect.io.warp import choose_resampling


@pytest.mark.parametrize(
    ("kind", "src", "dst", "expected"),
    [
        ("continuous", 10, 10, "bilinear"),
        ("continuous", 20, 10, "bilinear"),  # refining
        ("continuous", 10, 30, "average"),  # coarsening
        ("categorical", 10, 10, "nearest"),
        ("categorical", 10, 100, "mode"),
    ],
)
def test_resampling_follows_kind_and_cell_ratio(kind, src, dst, expected):
    assert choose_resampling(kind, source_res=src, target_res=dst) == expected


def test_override_must_be_a_gdal_resampling():
    assert choose_resampling("continuous", source_res=10, target_res=10,
                             override="cubic") == "cubic"
    with pytest.raises(ConfigError, match="unknown resampling 'smooth'"):
        choose_resampling("continuous", source_res=10, target_res=10, override="smooth")
