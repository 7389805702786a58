"""usagecodec: typed token-usage objects from raw response bytes, fast.

Decode the token usage of an image-variation response (orq.ai ``/v2/proxy/images/variations``,
OpenAI-compatible) from JSON or MessagePack, in the camelCase or snake_case wire dialect,
straight into frozen msgspec Structs.

>>> import usagecodec
>>> u = usagecodec.decode_usage(b'{"totalTokens":3,"inputTokens":2,"outputTokens":1,'
...                             b'"inputTokensDetails":{"textTokens":1,"imageTokens":1}}')
>>> u.input_tokens_details.text_tokens
1
"""

from ._codec import MAX_DEPTH, Format, UsageCodec, Wire
from ._errors import UsageDecodeError, UsageError, UsageValueError
from ._framing import Source
from ._functions import (
    decode_response,
    decode_usage,
    encode_response,
    encode_usage,
    extract_usage,
)
from ._groups import GroupedTotals, KeySpec, Price
from ._models import (
    INT64_MAX,
    INT64_MIN,
    Data,
    Finding,
    InputTokensDetails,
    PostV2ProxyImagesVariationsData,
    PostV2ProxyImagesVariationsInputTokensDetails,
    PostV2ProxyImagesVariationsResponseBody,
    PostV2ProxyImagesVariationsUsage,
    ResponseBody,
    Usage,
)
from ._options import OnError, ReadOptions
from ._schema import json_schema
from ._stream import UsageReader, read_usages, summarize
from ._totals import BadLine, Totals

__version__ = "0.1.0"

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "MAX_DEPTH",
    "BadLine",
    "Data",
    "Finding",
    "Format",
    "GroupedTotals",
    "InputTokensDetails",
    "KeySpec",
    "OnError",
    "PostV2ProxyImagesVariationsData",
    "PostV2ProxyImagesVariationsInputTokensDetails",
    "PostV2ProxyImagesVariationsResponseBody",
    "PostV2ProxyImagesVariationsUsage",
    "Price",
    "ReadOptions",
    "ResponseBody",
    "Source",
    "Totals",
    "Usage",
    "UsageCodec",
    "UsageDecodeError",
    "UsageError",
    "UsageReader",
    "UsageValueError",
    "Wire",
    "__version__",
    "decode_response",
    "decode_usage",
    "encode_response",
    "encode_usage",
    "extract_usage",
    "json_schema",
    "read_usages",
    "summarize",
]

