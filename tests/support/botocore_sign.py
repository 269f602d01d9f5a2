#!/usr/bin/python3
"""Signs requests with botocore's SigV4Auth, the reference signer of the AWS SDK for Python, so the
C++ signer can be compared with an independent implementation (certs_aws_botocore_test).

stdin: JSON {"access_key", "secret_key", "token", "time": "YYYYMMDDTHHMMSSZ",
             "requests": [{"region", "service", "method", "host", "path", "query",
                           "headers": [[name, value], ...], "body"}]}
stdout: one Authorization header value per request, in order.
The query is given raw and handed to botocore as decoded parameters, the way its clients call it.
"""
import datetime
import json
import sys
import types
from urllib.parse import unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
import botocore.auth


def main():
    spec = json.load(sys.stdin)
    fixed = datetime.datetime.strptime(spec["time"], "%Y%m%dT%H%M%SZ")

    class FixedClock(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return fixed

    # Only botocore.auth sees the fixed clock; it reads utcnow() once per signature.
    botocore.auth.datetime = types.SimpleNamespace(datetime=FixedClock)
    credentials = Credentials(spec["access_key"], spec["secret_key"], spec.get("token") or None)
    for r in spec["requests"]:
        params = []
        for item in filter(None, r["query"].split("&")):
            name, _, value = item.partition("=")
            params.append((unquote(name), unquote(value)))
        request = AWSRequest(method=r["method"], url="https://" + r["host"] + r["path"],
                             headers=dict(r["headers"]), data=r["body"].encode("utf-8"),
                             params=params)
        SigV4Auth(credentials, r["service"], r["region"]).add_auth(request)
        print(request.headers["Authorization"])


if __name__ == "__main__":
    main()
