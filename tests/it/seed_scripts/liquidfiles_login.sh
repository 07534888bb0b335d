#!/bin/bash

email="user@company.com"
password="secret"
base_url="https://liquidfiles.company.com"

cat <<EOF | curl -k -s -X POST -H 'Content-Type: text/xml' -d @- $base_url/login
<?xml version="1.0" encoding="UTF-8"?>
<user>
  <email>$email</email>
  <password>$password</password>
</user>
EOF
