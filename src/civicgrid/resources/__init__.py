"""Emergency resources (应急资源) the command centre can send: places, teams and equipment."""
