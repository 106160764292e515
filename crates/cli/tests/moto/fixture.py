"""Test fixtures for the moto end-to-end tests: state that a real AWS
account has and moto lacks, or that only running tasks would create.

  fixture.py network                      give the default VPC an internet gateway
                                          (AWS's default VPC has one; moto's has not)
  fixture.py keep-tasks-running           stop moto's tasks from advancing a state per read
  fixture.py run-task STACK LOGICAL_ID    start a Fargate task for a stack's ECS service
  fixture.py put-logs GROUP STREAM MSG... write log events (1 ms apart, oldest first)
  fixture.py stack-status NAME            print a stack's status (or NONE)
  fixture.py stub-stack NAME              leave a never-executed CREATE change set (REVIEW_IN_PROGRESS)
  fixture.py stacks                       print the live stacks, one per line
  fixture.py secret NAME                  print a secret's value
  fixture.py secrets                      print the secrets' names, one per line
  fixture.py buckets                      print the S3 buckets, one per line
  fixture.py image STACK LOGICAL_ID NAME  print a container's image in the deployed template
  fixture.py stop-task STACK TASK_ID      stop a task
  fixture.py push-image REPO TAG [BUILD]  put an image into moto's ECR (a new BUILD is new
                                          bytes under the same tag); print its digest
  fixture.py image-digest REPO TAG        print the digest the tag points at
  fixture.py load-balancer NAME TYPE      make a load balancer (application or network) with a
                                          security group in the default VPC; print its ARN
  fixture.py stack-parameter STACK KEY    print a parameter of a stack
  fixture.py private-network              add a NAT gateway and two private subnets routed
                                          through it (an account's own setup); print their IDs
  fixture.py zones SUBNET...               print the subnets' availability zones, sorted
  fixture.py physical-id STACK LOGICAL_ID print a stack resource's physical ID
  fixture.py child-stacks STACK           print each child stack's logical ID, stack ID and
                                          ECS services (nested stacks), one per line
  fixture.py bucket-settings NAME         print a bucket's versioning, encryption, public
                                          access block and tags
  fixture.py objects BUCKET               print a bucket's object keys (current versions), one per line
  fixture.py asg NAME                     print an Auto Scaling group's min, max and launch
                                          template's instance type

The endpoint and dummy credentials come from the environment.
"""
import json, sys, time, urllib.request

import boto3


def network():
    ec2 = boto3.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    main = next(t for t in tables if any(a.get("Main") for a in t["Associations"]))
    ec2.create_route(RouteTableId=main["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    print(vpc)


def keep_tasks_running(endpoint):
    body = json.dumps({"model_name": "ecs::task", "transition": {"progression": "manual", "times": 1000000}})
    req = urllib.request.Request(endpoint + "/moto-api/state-manager/set-transition", data=body.encode(), method="POST")
    urllib.request.urlopen(req).read()


def run_task(stack, logical_id, first=None):
    ecs = boto3.client("ecs")
    ec2 = boto3.client("ec2")
    cfn = boto3.client("cloudformation")
    resources = {r.get("LogicalResourceId"): r.get("PhysicalResourceId")
                 for r in cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]}
    physical = resources.__getitem__
    cluster = physical("Cluster")
    svc = ecs.describe_services(cluster=cluster, services=[physical(logical_id)])["services"][0]
    # moto needs container-level memory for run_task: register a copy of the
    # service's task definition with it.
    td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
    containers = [dict(c, memoryReservation=128) for c in td["containerDefinitions"]]
    # moto describes a task's first container only: put the one asked for first.
    containers.sort(key=lambda c: c["name"] != first)
    family = td["family"] + "-fixture"
    arn = ecs.register_task_definition(family=family, containerDefinitions=containers,
                                       networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
                                       cpu="256", memory="512")["taskDefinition"]["taskDefinitionArn"]
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
    sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"][0]["GroupId"]
    task = ecs.run_task(cluster=cluster, taskDefinition=arn, launchType="FARGATE", group="service:" + svc["serviceName"],
                        startedBy="ecs-svc/fixture",
                        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg]}})["tasks"][0]
    print(task["taskArn"].rsplit("/", 1)[-1])


def put_logs(group, stream, messages):
    logs = boto3.client("logs")
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    now = int(time.time() * 1000) - 60_000
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])


def stack_status(name):
    cfn = boto3.client("cloudformation")
    try:
        print(cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"])
    except cfn.exceptions.ClientError:
        print("NONE")


def stub_stack(name):
    cfn = boto3.client("cloudformation")
    body = json.dumps({"Resources": {"Group": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "stub"}}}})
    cfn.create_change_set(StackName=name, ChangeSetName="stub", ChangeSetType="CREATE", TemplateBody=body,
                          Tags=[{"Key": "com.docker.compose.project", "Value": name}])


def stacks():
    cfn = boto3.client("cloudformation")
    for s in cfn.list_stacks()["StackSummaries"]:
        if s["StackStatus"] != "DELETE_COMPLETE":
            print(s["StackName"])


def image(stack, logical_id, container):
    # From the deployed template: moto's task definitions lose their
    # containers' fields when a stack update registers a new revision.
    cfn = boto3.client("cloudformation")
    body = cfn.get_template(StackName=stack)["TemplateBody"]
    template = body if isinstance(body, dict) else json.loads(body)
    defs = template["Resources"][logical_id]["Properties"]["ContainerDefinitions"]
    print(next(c["Image"] for c in defs if c["Name"] == container))


def stop_task(stack, task_id):
    cfn = boto3.client("cloudformation")
    cluster = next(r["PhysicalResourceId"] for r in cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]
                   if r.get("LogicalResourceId") == "Cluster")
    boto3.client("ecs").stop_task(cluster=cluster, task=task_id, reason="Stopped by the test")


def push_image(repo, tag, build="1"):
    ecr = boto3.client("ecr")
    try:
        ecr.create_repository(repositoryName=repo)
    except ecr.exceptions.RepositoryAlreadyExistsException:
        pass
    # A manifest whose bytes depend on the build: the same tag pushed again
    # with another build has another digest, as a rebuilt image would.
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7,
                   "digest": "sha256:" + ("%064x" % int(build))},
        "layers": [],
    })
    # moto does not compute manifest digests (every image reads as the
    # digest of nothing): name it, as a registry would compute it.
    import hashlib
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    try:
        ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag=tag, imageDigest=digest)
    except ecr.exceptions.ImageAlreadyExistsException:
        pass
    print(image_digest(repo, tag))


def image_digest(repo, tag):
    ecr = boto3.client("ecr")
    return ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": tag}])["imageDetails"][0]["imageDigest"]


def load_balancer(name, kind):
    ec2 = boto3.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
    sg = ec2.create_security_group(GroupName=name + "-sg", Description="shared load balancer", VpcId=vpc)["GroupId"]
    lb = boto3.client("elbv2").create_load_balancer(Name=name, Subnets=subnets, SecurityGroups=[sg], Type=kind)
    print(lb["LoadBalancers"][0]["LoadBalancerArn"])


def stack_parameter(stack, key):
    cfn = boto3.client("cloudformation")
    params = cfn.describe_stacks(StackName=stack)["Stacks"][0].get("Parameters", [])
    print(next(p["ParameterValue"] for p in params if p["ParameterKey"] == key))


def private_network():
    ec2 = boto3.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    public = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public[0]["SubnetId"], AllocationId=eip)["NatGateway"]["NatGatewayId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    zones = sorted({s["AvailabilityZone"] for s in public})[:2]
    ids = []
    for i, zone in enumerate(zones):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"172.31.{200 + i}.0/24", AvailabilityZone=zone)
        ids.append(subnet["Subnet"]["SubnetId"])
        ec2.associate_route_table(RouteTableId=table, SubnetId=ids[-1])
    print(" ".join(ids))


def zones(*subnets):
    ec2 = boto3.client("ec2")
    found = ec2.describe_subnets(SubnetIds=list(subnets))["Subnets"]
    print(" ".join(sorted(s["AvailabilityZone"] for s in found)))


def physical_id(stack, logical_id):
    cfn = boto3.client("cloudformation")
    # moto answers DescribeStackResource with an error page; the list works.
    resources = cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    print(next(r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == logical_id))


def child_stacks(stack):
    cfn = boto3.client("cloudformation")
    resources = cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    for r in sorted(resources, key=lambda r: r["LogicalResourceId"]):
        if r["ResourceType"] == "AWS::CloudFormation::Stack":
            inner = cfn.list_stack_resources(StackName=r["PhysicalResourceId"])["StackResourceSummaries"]
            services = sorted(i["LogicalResourceId"] for i in inner if i["ResourceType"] == "AWS::ECS::Service")
            print(r["LogicalResourceId"], r["PhysicalResourceId"], ",".join(services))


def bucket_settings(name):
    s3 = boto3.client("s3")
    versioning = s3.get_bucket_versioning(Bucket=name).get("Status")
    rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    encryption = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}
    print(versioning, encryption, all(block.values()), json.dumps(tags, sort_keys=True))


def asg(name):
    group = boto3.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    template = group["LaunchTemplate"]["LaunchTemplateId"]
    data = boto3.client("ec2").describe_launch_template_versions(LaunchTemplateId=template)["LaunchTemplateVersions"][0]
    print(group["MinSize"], group["MaxSize"], data["LaunchTemplateData"]["InstanceType"])


if __name__ == "__main__":
    import os
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "network":
        network()
    elif cmd == "keep-tasks-running":
        keep_tasks_running(os.environ["AWS_ENDPOINT_URL"])
    elif cmd == "run-task":
        run_task(*args)
    elif cmd == "put-logs":
        put_logs(args[0], args[1], args[2:])
    elif cmd == "stack-status":
        stack_status(args[0])
    elif cmd == "stub-stack":
        stub_stack(args[0])
    elif cmd == "stacks":
        stacks()
    elif cmd == "secret":
        print(boto3.client("secretsmanager").get_secret_value(SecretId=args[0])["SecretString"])
    elif cmd == "secrets":
        for s in boto3.client("secretsmanager").list_secrets()["SecretList"]:
            print(s["Name"])
    elif cmd == "buckets":
        for b in boto3.client("s3").list_buckets()["Buckets"]:
            print(b["Name"])
    elif cmd == "image":
        image(*args)
    elif cmd == "stop-task":
        stop_task(*args)
    elif cmd == "zones":
        zones(*args)
    elif cmd == "private-network":
        private_network()
    elif cmd == "physical-id":
        physical_id(*args)
    elif cmd == "asg":
        asg(*args)
    elif cmd == "child-stacks":
        child_stacks(*args)
    elif cmd == "bucket-settings":
        bucket_settings(*args)
    elif cmd == "objects":
        for o in boto3.client("s3").list_objects_v2(Bucket=args[0]).get("Contents", []):
            print(o["Key"])
    elif cmd == "push-image":
        push_image(*args)
    elif cmd == "image-digest":
        print(image_digest(*args))
    elif cmd == "load-balancer":
        load_balancer(*args)
    elif cmd == "stack-parameter":
        stack_parameter(*args)
    else:
        sys.exit("unknown fixture command " + cmd)
