"""scalectl provider: aws (EC2 Auto Scaling, ELBv2 and CloudWatch through boto3).

Nothing here imports boto3: the SDK loads only when a profile opens a reader.
"""
