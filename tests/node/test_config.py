"""Configuration: defaults, the TOML file, COVE_<SECTION>__<KEY> overrides, and clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from node.config import SETTINGS, ConfigError, default_config_text, load_config

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cove.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_make_a_local_node_on_sqlite(tmp_path: Path) -> None:
    config = load_config(tmp_path / "missing.toml", {})
    assert config.node.base_url == "http://127.0.0.1:8080"
    assert config.http.port == 8080
    assert config.database.url.startswith("sqlite+aiosqlite:///")
    assert config.database.url.endswith("/data/cove.db")
    assert config.privacy.expose_followers is False
    assert config.source is None


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[http]\nport = 9000\n[node]\nname = "From file"\n')
    env = {
        "COVE_HTTP__PORT": "8090",
        "COVE_NODE__BASE_URL": "http://127.0.0.1:8090",
        "COVE_DATABASE__URL": "postgresql://cove@127.0.0.1/cove",
        "COVE_PRIVACY__EXPOSE_FOLLOWERS": "true",
        "COVE_TEST_POSTGRES_URL": "ignored: no double underscore",
    }
    config = load_config(path, env)
    assert config.http.port == 8090
    assert config.node.base_url == "http://127.0.0.1:8090"
    assert config.node.name == "From file"
    assert config.database.url == "postgresql+asyncpg://cove@127.0.0.1/cove"
    assert config.privacy.expose_followers is True


def test_base_url_follows_the_port_when_unset(tmp_path: Path) -> None:
    config = load_config(None, {"COVE_HTTP__PORT": "8091"})
    assert config.node.base_url == "http://127.0.0.1:8091"
    assert config.node.domain == "127.0.0.1:8091"


def test_relative_data_dir_is_taken_from_the_config_folder(tmp_path: Path) -> None:
    path = write(tmp_path, '[node]\ndata_dir = "store"\n')
    config = load_config(path, {})
    assert config.node.data_dir == (tmp_path / "store").resolve()


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[http]\nport = 70000\n", {}, "http.port: must be a port number from 1 to 65535"),
        ('[http]\nport = "80"\n', {}, "http.port: must be an integer"),
        ("[http]\nport = true\n", {}, "http.port: must be an integer"),
        ("[http]\nprot = 80\n", {}, "unknown key http.prot"),
        ("[htp]\nport = 80\n", {}, "unknown section [htp]"),
        ("http = 3\n", {}, "http must be a table"),
        ("[http\nport = 80\n", {}, "not valid TOML"),
        ('[node]\nbase_url = "http://community.example"\n', {}, "node.base_url: must use https"),
        ('[node]\nbase_url = "https://c.example/sub"\n', {}, "node.base_url: must be the origin"),
        ('[node]\nbase_url = "community.example"\n', {}, "node.base_url: must be an absolute"),
        ('[database]\nurl = "mysql://x/y"\n', {}, "database.url: must start with one of"),
        ('[log]\nlevel = "loud"\n', {}, "log.level: must be one of"),
        ("", {"COVE_HTTP__PORT": "eighty"}, "COVE_HTTP__PORT: http.port: must be an integer"),
        ("", {"COVE_HTTP__NOPE": "1"}, "COVE_HTTP__NOPE: no such setting http.nope"),
        ("", {"COVE_PRIVACY__EXPOSE_FOLLOWERS": "maybe"}, "must be true or false"),
        ('[http]\nhost = "0.0.0.0"\n', {}, "node.base_url: must be set when http.host"),
        ('[mail]\nhost = "smtp.example"\n', {}, "mail.from_address: must be set when mail.host"),
        ('[mail]\nfrom_address = "cove"\n', {}, "mail.from_address: must be an address"),
        ('[mail]\ntls = "ssl"\n', {}, "mail.tls: must be one of none, starttls, tls"),
        ('[registrations]\nmode = "invite"\n', {}, "registrations.mode: must be one of open"),
    ],
)
def test_a_bad_setting_names_the_key_and_the_reason(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env)
    assert message in caught.value.reason
    assert "\n" not in caught.value.reason


def test_https_base_url_on_a_public_host_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, '[node]\nbase_url = "https://Community.Example/"\n')
    config = load_config(path, {})
    assert config.node.base_url == "https://Community.Example"
    assert config.node.domain == "community.example"


def test_example_config_documents_every_key_with_its_default() -> None:
    example = tomllib.loads((ROOT / "config.example.toml").read_text("utf-8"))
    documented = {(s, k): v for s, table in example.items() for k, v in table.items()}
    declared = {(s.section, s.key): s.default for s in SETTINGS}
    assert documented == declared


def test_example_config_loads_as_it_is() -> None:
    config = load_config(ROOT / "config.example.toml", {})
    assert config.http.port == 8080


def test_the_config_init_writes_is_valid(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, default_config_text()), {})
    assert config.node.base_url == "http://127.0.0.1:8080"
    assert config.node.data_dir == (tmp_path / "data").resolve()
