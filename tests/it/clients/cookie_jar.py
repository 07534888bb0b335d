"""A client that keeps cookies, as Python's requests and urllib keep them
(http.cookiejar): it signs on with a JSON body, then makes a second call with
no credential but the cookies the first answer set.

    cookie_jar.py FIRST_URL JSON_BODY SECOND_METHOD SECOND_URL

Prints one JSON line: the two statuses, the cookies the jar kept and the
second answer's body."""
import http.cookiejar
import json
import sys
import urllib.error
import urllib.request

first_url, body, second_method, second_url = sys.argv[1:5]
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def call(method, url, data=None):
    headers = {"Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with opener.open(request, timeout=20) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


first, _ = call("POST", first_url, body.encode())
kept = sorted(cookie.name for cookie in jar)
second, text = call(second_method, second_url)
print(json.dumps({"first": first, "kept": kept, "second": second, "body": text}))
