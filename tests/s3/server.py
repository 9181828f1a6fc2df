"""A real S3 endpoint for tests: PyPI's moto server on 127.0.0.1:PORT with the bucket BUCKET.

Prints `ready` once the bucket exists; exits when its standard input closes (with the test).
Usage: server.py PORT BUCKET
"""
import sys

import boto3
from moto.server import ThreadedMotoServer

port, bucket = int(sys.argv[1]), sys.argv[2]
server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
boto3.client(
    "s3",
    endpoint_url=f"http://127.0.0.1:{port}",
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
).create_bucket(Bucket=bucket)
print("ready", flush=True)
sys.stdin.read()
server.stop()
