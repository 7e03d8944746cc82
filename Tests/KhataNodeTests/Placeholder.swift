import KhataNode
