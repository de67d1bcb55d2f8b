"""Decoding of the text files people bring: UTF-8 (with or without BOM) or GBK/GB18030."""

ENCODINGS = ("utf-8-sig", "gb18030")


def decode(data: bytes) -> str:
    """The text of ``data``; ValueError when it is neither UTF-8 nor GBK/GB18030.

    >>> decode("天津".encode("gbk"))
    '天津'
    """
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as error:
            last = error
    raise ValueError(f"neither UTF-8 nor GBK/GB18030 text ({last.reason} at byte {last.start})")
